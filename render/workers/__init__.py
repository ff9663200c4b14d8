"""Worker processes and wall-clock limits: one call under a limit (`timelimit`), batches of jobs in
forked workers (`jobs`)."""
