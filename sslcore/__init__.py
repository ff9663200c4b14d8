"""sslcore."""
