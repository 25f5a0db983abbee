"""Writes to group programs, one module per job: seats, setup, attendance and what members are sent."""
