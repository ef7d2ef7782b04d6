"""Figures and exports for partnership staff: /stats and /export."""
