"""Chat assistant for government service counters: one-time notification and first-inquiry accountability."""
