"""The member portal's project package: settings, root URLs and cross-cutting plumbing."""
