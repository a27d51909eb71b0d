"""Every write in the sales app goes through these services (one module per area)."""
