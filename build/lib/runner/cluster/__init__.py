"""The cluster edge: every Kubernetes API call lives here (python client only, never kubectl)."""
