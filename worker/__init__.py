"""Background work: the RQ worker, periodic jobs, and the job functions (which take ids)."""
