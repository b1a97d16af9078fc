"""Jitsi's reservation (Prosody mod_reservations) and dial-in (conference mapper) protocols."""
