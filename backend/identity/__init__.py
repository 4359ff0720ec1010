"""The identity domain: tenants, staff accounts and sessions, devices and their pairing, OIDC
sign-in and the login throttle. It plugs authentication into ``backend.platform.access``."""
