"""The recorder service's endpoints: start a recording, upload its render."""
