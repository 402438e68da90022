/*
 * pcap_out.h - write IKE messages into a pcap file (Ethernet/IPv4/UDP 500
 * between 10.0.0.1 and 10.0.0.2) and describe them the way `tshark -T
 * fields -e frame.number -e isakmp.typepayload -e isakmp.notify.msgtype`
 * prints them, for the tshark tests.
 */
#ifndef IKEV2D_TESTING_CODEC_PCAP_OUT_H
#define IKEV2D_TESTING_CODEC_PCAP_OUT_H

#include "codec/message.h"

#include <stdio.h>

/* Create the file and write the pcap header; NULL on error (printed). */
FILE *pcap_out_open(const char *path);
/* Append one frame; from_initiator picks the direction. */
void pcap_out_frame(FILE *f, chunk_t ike, bool from_initiator, uint32_t frame);
/* Append m's payload types ("33,2,3,...", proposals as 2, transforms as
 * 3) to types and its notify types to notes (each of size len). */
void pcap_out_flatten(const message_t *m, char *types, char *notes, size_t len);

#endif
