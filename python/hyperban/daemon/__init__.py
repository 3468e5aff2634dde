"""The daemon: configuration → jails → log sources → control socket (see ``server``)."""
