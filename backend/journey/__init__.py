"""The 窓口利用体験調査 built in: baseline walkthroughs ("before") and live figures ("after")."""
