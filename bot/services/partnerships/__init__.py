"""Partnerships and their staff: creation by super-admins, invitation links, who is staff."""
