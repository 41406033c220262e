"""Language identification behind one interface, and text quality signals."""
