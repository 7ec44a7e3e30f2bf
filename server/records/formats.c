#include "records/formats.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "records/field.h"

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 5322 atext: what a dot-atom local part may hold besides dots. */
static bool is_atext(char c)
{
    return isalnum((unsigned char)c) || (c && strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL);
}

static bool is_ldh(char c)
{
    return isalnum((unsigned char)c) || c == '-';
}

/* Checks a DNS name of LDH labels, 1-63 bytes each, no hyphen at either end
 * of a label. min_labels is 2 for e-mail domains. */
static bool dns_name_valid(const char *s, size_t len, int min_labels, bool *last_all_digits)
{
    if (len == 0 || len > 253)
        return false;
    int labels = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '.') {
            if (!is_ldh(s[i]))
                return false;
            continue;
        }
        size_t n = i - start;
        if (n == 0 || n > 63 || s[start] == '-' || s[i - 1] == '-')
            return false;
        bool all_digits = true;
        for (size_t k = start; k < i; k++)
            all_digits = all_digits && isdigit((unsigned char)s[k]);
        *last_all_digits = all_digits;
        labels++;
        start = i + 1;
    }
    return labels >= min_labels;
}

bool rp_email_canon(const char *s, size_t len, char *out)
{
    while (len > 0 && is_space(*s)) {
        s++;
        len--;
    }
    while (len > 0 && is_space(s[len - 1]))
        len--;
    if (len == 0 || len > RP_FIELD_EMAIL_MAX)
        return false;
    const char *at = memchr(s, '@', len);
    if (at == NULL || memchr(at + 1, '@', len - (size_t)(at - s) - 1) != NULL)
        return false;
    size_t local_len = (size_t)(at - s), domain_len = len - local_len - 1;
    if (local_len == 0 || local_len > 64 || s[0] == '.' || s[local_len - 1] == '.')
        return false;
    for (size_t i = 0; i < local_len; i++) {
        if (s[i] == '.') {
            if (s[i + 1] == '.')
                return false;
        } else if (!is_atext(s[i])) {
            return false;
        }
    }
    bool tld_digits = false;
    if (!dns_name_valid(at + 1, domain_len, 2, &tld_digits) || tld_digits)
        return false;
    memcpy(out, s, len);
    for (size_t i = local_len + 1; i < len; i++)
        out[i] = (char)tolower((unsigned char)out[i]);
    out[len] = '\0';
    return true;
}

bool rp_phone_canon(const char *s, size_t len, char out[RP_PHONE_BUF])
{
    char digits[RP_PHONE_BUF];
    size_t nd = 0;
    bool plus = false, seen_digit = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '+' && !plus && !seen_digit) {
            plus = true;
        } else if (isdigit((unsigned char)c)) {
            if (nd >= sizeof digits - 1)
                return false;
            digits[nd++] = c;
            seen_digit = true;
        } else if (c == '(' && i + 2 < len && s[i + 1] == '0' && s[i + 2] == ')' && seen_digit) {
            /* "+33 (0)1 ..." writes the trunk prefix that is not dialled
             * from abroad. */
            i += 2;
        } else if (!(c == ' ' || c == '\t' || c == '.' || c == '-' || c == '/' || c == '(' ||
                     c == ')')) {
            return false;
        }
    }
    size_t skip = 0;
    if (!plus) {
        if (nd < 2 || digits[0] != '0' || digits[1] != '0')
            return false;
        skip = 2;
    }
    size_t n = nd - skip;
    if (n < 8 || n > 15 || digits[skip] == '0')
        return false;
    out[0] = '+';
    memcpy(out + 1, digits + skip, n);
    out[n + 1] = '\0';
    return true;
}

static bool ipv6_chars(const char *s, size_t len)
{
    if (len < 2)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isxdigit((unsigned char)s[i]) && s[i] != ':' && s[i] != '.')
            return false;
    return memchr(s, ':', len) != NULL;
}

bool rp_url_canon(const char *s, size_t len, char *out)
{
    if (len > RP_FIELD_URL_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
            return false;
    size_t scheme_len;
    if (len > 7 && strncasecmp(s, "http://", 7) == 0)
        scheme_len = 4;
    else if (len > 8 && strncasecmp(s, "https://", 8) == 0)
        scheme_len = 5;
    else
        return false;
    size_t host_start = scheme_len + 3;
    size_t auth_end = host_start;
    while (auth_end < len && s[auth_end] != '/' && s[auth_end] != '?' && s[auth_end] != '#')
        auth_end++;
    const char *auth = s + host_start;
    size_t auth_len = auth_end - host_start;
    if (memchr(auth, '@', auth_len) != NULL)
        return false;
    size_t host_len = auth_len;
    const char *port = NULL;
    if (auth_len > 0 && auth[0] == '[') {
        const char *close = memchr(auth, ']', auth_len);
        if (close == NULL || !ipv6_chars(auth + 1, (size_t)(close - auth) - 1))
            return false;
        host_len = (size_t)(close - auth) + 1;
        if (host_len < auth_len) {
            if (auth[host_len] != ':')
                return false;
            port = auth + host_len + 1;
        }
    } else {
        const char *colon = memchr(auth, ':', auth_len);
        if (colon != NULL) {
            host_len = (size_t)(colon - auth);
            port = colon + 1;
        }
        bool last_digits = false;
        /* A trailing dot (fully qualified name) is allowed. */
        size_t name_len = host_len > 1 && auth[host_len - 1] == '.' ? host_len - 1 : host_len;
        if (!dns_name_valid(auth, name_len, 1, &last_digits))
            return false;
    }
    if (port != NULL) {
        size_t port_len = (size_t)(s + auth_end - port);
        if (port_len == 0 || port_len > 5)
            return false;
        long p = 0;
        for (size_t i = 0; i < port_len; i++) {
            if (!isdigit((unsigned char)port[i]))
                return false;
            p = p * 10 + (port[i] - '0');
        }
        if (p < 1 || p > 65535)
            return false;
    }
    memcpy(out, s, len);
    out[len] = '\0';
    for (size_t i = 0; i < host_start + host_len; i++)
        out[i] = (char)tolower((unsigned char)out[i]);
    return true;
}

/* ISO 4217 List One as amended to 2025, sorted for bsearch: every code in use
 * except XTS (reserved for testing) and XXX (no currency). Withdrawn codes
 * (HRK, CUC, SLL, ZWL, VEF, MRO, STD, ...) are refused. */
static const char codes[][4] = {
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD",
    "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUP", "CVE",
    "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL",
    "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR",
    "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD",
    "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK",
    "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO",
    "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON",
    "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD",
    "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD",
    "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES", "VND", "VUV",
    "WST", "XAF", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XCD", "XCG", "XDR", "XOF", "XPD",
    "XPF", "XPT", "XSU", "XUA", "YER", "ZAR", "ZMW", "ZWG",
};

static int code_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

bool rp_currency_code_valid(const char *code)
{
    if (code == NULL || strlen(code) != 3)
        return false;
    return bsearch(code, codes, sizeof codes / sizeof codes[0], sizeof codes[0], code_cmp) != NULL;
}
