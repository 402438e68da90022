/*
 * dn.h - distinguished names: the text an admin writes in ikev2.config
 * ("C=US, O=Example Corp, CN=gw.example.com") and the DER an ID payload of
 * type ID_DER_ASN1_DN carries, without an ASN.1 library in the core.
 *
 * Text form: attribute=value pairs separated by ',' (or ';'), written in
 * the order of the DER sequence (most significant first, as strongSwan and
 * Solaris write them; the reverse of RFC 4514 string order).  Blanks around
 * names and values are ignored.  In a value, '\' escapes the next character
 * (\, \+ \\ \") or introduces two hex digits (\2C).  Attribute names (case-
 * insensitive): C, ST (S), L, O, OU, CN, SN, GN (G), T (title),
 * serialNumber, street, postalCode, initials, pseudonym, dnQualifier,
 * E (emailAddress), DC, UID, or a dotted OID such as 2.5.4.3.
 *
 * Encoding: each pair is one RDN; C is a PrintableString; E and DC are
 * IA5Strings; other values are PrintableStrings when every character
 * allows it, UTF8Strings otherwise.
 */
#ifndef IKEV2D_CONFIG_DN_H
#define IKEV2D_CONFIG_DN_H

#include <stdbool.h>
#include <stddef.h>

#include <ikev2d/chunk.h>

/* Most RDNs in a name, and longest value, we accept. */
#define DN_MAX_RDNS 32
#define DN_MAX_VALUE 256

/* Text to DER (fresh memory in *der).  On error writes a reason. */
bool dn_from_text(const char *text, chunk_t *der, char *err, size_t errlen);

/* DER to text ("C=US, O=Example, CN=gw"), for logs and matching; values of
 * string types we do not decode appear as #hex.  False if der is not a
 * well-formed Name or buf is too small. */
bool dn_to_text(chunk_t der, char *buf, size_t len);

/*
 * Does the DER name match the pattern?  The pattern is text as above in
 * which a value may contain '*' (any run of characters).  Names match when
 * they have the same number of RDNs with the same attribute types in the
 * same order, and each value matches case-insensitively whatever its
 * string type.  A malformed pattern or name never matches.
 */
bool dn_match(const char *pattern, chunk_t der);

#endif
