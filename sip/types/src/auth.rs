//! Authentication headers (RFC 3261 §20.7, §20.27, §20.28, §20.44; RFC 7616; RFC 3310 AKA):
//! WWW-Authenticate / Proxy-Authenticate challenges, Authorization / Proxy-Authorization
//! credentials and Authentication-Info, as borrowed views with their auth-params.
