"""spare3d."""
