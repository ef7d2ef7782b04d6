"""Staff validation of registrations, matches, goals and agendas, and closing reports."""
