"""Assets: files stored for a room (recordings, exports), owned by the room's creator."""
