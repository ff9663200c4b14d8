"""`python -m spare3d ...` (and `torchrun -m spare3d ...`): the `spare3d` command line."""

from spare3d.cli import main

main()
