"""Rooms: the place a conference happens; owned by their creator."""
