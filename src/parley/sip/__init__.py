"""SIP configuration: numeric id + PIN that let phone callers into a room."""
