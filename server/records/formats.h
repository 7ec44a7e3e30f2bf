#ifndef RP_RECORDS_FORMATS_H
#define RP_RECORDS_FORMATS_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes of a canonical phone number with its NUL: "+" and up to 15 digits. */
#define RP_PHONE_BUF 17

/* Normalises an e-mail address: surrounding white space trimmed, exactly one
 * "@", a dot-atom local part of at most 64 bytes, a domain of at least two
 * LDH labels (IDN domains in their xn-- form) whose last label is not all
 * digits, at most RP_FIELD_EMAIL_MAX bytes in all. The domain is lower-cased;
 * the local part is kept as given (it may be case-sensitive). out needs
 * RP_FIELD_EMAIL_MAX + 1 bytes. */
bool rp_email_canon(const char *s, size_t len, char *out);

/* Normalises a phone number to E.164: spaces, tabs, dots, dashes, slashes
 * and parentheses are dropped, as is a national trunk "(0)" after the country
 * code; the number must start with "+" or "00" and then have 8 to 15 digits,
 * the first not 0. */
bool rp_phone_canon(const char *s, size_t len, char out[RP_PHONE_BUF]);

/* Checks an http or https URL: the scheme, "://", a host (a DNS name, an IPv4
 * address or a bracketed IPv6 address) with an optional port 1-65535, then an
 * optional path, query and fragment; no white space or control characters, no
 * user info, at most RP_FIELD_URL_MAX bytes. Scheme and host are lower-cased;
 * the rest is kept as given. out needs RP_FIELD_URL_MAX + 1 bytes. */
bool rp_url_canon(const char *s, size_t len, char *out);

/* True when code is an active ISO 4217 currency code (upper case). */
bool rp_currency_code_valid(const char *code);

#endif
