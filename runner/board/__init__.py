"""The instructor board: every learner's progress, live, in a browser."""
