"""Room invite codes: let guests without an account into a room."""
