/* mbedtls-verify.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Verifies a device certificate the way an nRF91 application's TLS stack would:
 * with mbedTLS, against a trusted root, through the intermediates, and with an
 * optional CRL.
 *
 *   mbedtls-verify ROOT.pem CHAIN.pem [CRL.pem]
 *
 * CHAIN.pem holds the device certificate first, then its intermediates.
 * Exit status: 0 verified, 1 rejected (the reasons are printed), 2 unreadable. */

#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>
#include <stdio.h>

int
main (int   argc,
      char *argv[])
{
  mbedtls_x509_crt root;
  mbedtls_x509_crt chain;
  mbedtls_x509_crl crl;
  char reasons[1024];
  uint32_t flags = 0;
  int status = 2;
  int rc;

  if (argc < 3 || argc > 4)
    {
      fprintf (stderr, "usage: %s ROOT.pem CHAIN.pem [CRL.pem]\n", argv[0]);
      return 2;
    }

  mbedtls_x509_crt_init (&root);
  mbedtls_x509_crt_init (&chain);
  mbedtls_x509_crl_init (&crl);

  if ((rc = mbedtls_x509_crt_parse_file (&root, argv[1])) != 0)
    fprintf (stderr, "cannot parse the root %s: -0x%04x\n", argv[1], (unsigned) -rc);
  else if ((rc = mbedtls_x509_crt_parse_file (&chain, argv[2])) != 0)
    fprintf (stderr, "cannot parse the chain %s: -0x%04x\n", argv[2], (unsigned) -rc);
  else if (argc == 4 && (rc = mbedtls_x509_crl_parse_file (&crl, argv[3])) != 0)
    fprintf (stderr, "cannot parse the CRL %s: -0x%04x\n", argv[3], (unsigned) -rc);
  else
    {
      rc = mbedtls_x509_crt_verify (&chain, &root, argc == 4 ? &crl : NULL, NULL, &flags, NULL, NULL);
      if (rc == 0)
        {
          printf ("verified\n");
          status = 0;
        }
      else
        {
          mbedtls_x509_crt_verify_info (reasons, sizeof reasons, "  ", flags);
          printf ("rejected (flags 0x%08x):\n%s", (unsigned) flags, reasons);
          status = 1;
        }
    }

  mbedtls_x509_crl_free (&crl);
  mbedtls_x509_crt_free (&chain);
  mbedtls_x509_crt_free (&root);

  return status;
}
