"""Shared folders of events on external storage (Nextcloud), spec tag shared_folder."""
