"""Events: a QR code at the door, a quick sign-up, and meetings between the people present."""
