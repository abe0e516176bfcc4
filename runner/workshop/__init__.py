"""Workshop mode: many learners on one cluster, each held to their own namespaces by RBAC."""
