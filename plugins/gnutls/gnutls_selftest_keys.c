/*
 * gnutls_selftest_keys.c - the keys the registration self-tests sign with.
 *
 * Generated once for ikev2d with `certtool --generate-privkey` and used for
 * nothing else: they are public test data, not secrets.
 */
#include "gnutls_selftest.h"

const selftest_key_t gt_selftest_keys[] = {
	{ KEY_RSA,
	  "-----BEGIN RSA PRIVATE KEY-----\n"
	  "MIIEpQIBAAKCAQEAzzThn5hJgjjJPyJQKNLDb9wk82tmph98J3MSfkUv2Dka3cwm\n"
	  "4Q2Nt3dBpTuXUXWI7+pgH6JKd5HtUcHvrqLSwcGLjk8muO5BxvnmG3/BcbQyPAgx\n"
	  "qlDZ2aJy3D74etXm0qKF+YJRU5OnU3TwRb+EpbqTKKTGSaOKuZY+0IHwdkY3DPWI\n"
	  "uHWu9HeMVUhNDhTu2pJzv6+v0GZ9sVW9t/SyhI8A8rktJwaYiMf8ch4IP7GizDl1\n"
	  "QUnTGlts9e0U2/x77jQnSdVz37H3pQgEL3flOV9cT0qUyDn9z7eVfm88QmvB8IS/\n"
	  "FfUMV7WjMQvOh0AetE84WV8wIfinWMZo+SM6rwIDAQABAoIBAQDI4hrPsEOr9UPe\n"
	  "anTOby88lnBYckqNSb8DPAO02Xy+IvbSC2eyDoLTWNIS0EgumEWPW2mfoaaSb65l\n"
	  "8iBd7ctoPyz+ZexDo/GvZ31YMa6ofqupGcSUu1fJMD4tGvupkxD6Ksi6kkYoQeEZ\n"
	  "/ygmZrvCNLUQ1VbL87q9nFT/rsoizsUkvlz1BbfJMr2xsbQsUi68fIKX5kE1caCZ\n"
	  "rml163Nnmhoi5B/n/27hMSGpgGMmsg4qU9n0QFY/VFnq8qA63rzq/KendBSHbkwz\n"
	  "uGZWph/8xIwnu0hJLOdrKVd+uveH8mVsp99GjEgYFBpkzVv/wsPUGLDD9x2ofEPP\n"
	  "l4nvFHRpAoGBAP6QVRcgs1kJUieSq8weIVVXDmQQv8ofZSzjWaQozuJ0IDzScTr1\n"
	  "pt/a1NkEenwSJCCRUz2Rfb0Q4MZ/EFDpGkrRI7T8CO+KVulzVk0nBX1YVREnXzR+\n"
	  "CmPRRQaFMH5HX6D/PFQCgupD+Ni+1oS6PpnEL4YAgSsHavHVyXbovPSVAoGBANBg\n"
	  "JpRNaBJGBHGTPjnlMDKkkevUkOCcpHnP4u/uxZdizXPArzW9tTE1fYIL1tHj0pKp\n"
	  "1nl5ZwyU+19bUBldXbPEkNMdp9oMJpn4H5DAefQuuFQ0S5N1R+xRNhD1Km0UaUHF\n"
	  "lOArXFEUZsdXDHUriex5vs7sWcbY0HRnvdbDmz0zAoGBAKsUPNtKMr4HsZq+y45m\n"
	  "QWilFRrS1tHzv38nW7sjYcZ23KODmm1RYlDXNGyUwexYFMd+Yz7hZGuHyEgeZMy7\n"
	  "m9vkKecb6rVxd290/+7h5qKSlrjsiOMyQbFLluQG5sw3E2GTpuuetHTUMY0Y0/pn\n"
	  "YGLeokGgXS6Z0ZmtX7P2PebxAoGAbFeB15wDn3SuPMs9EGccz0gH4uFrzo1Da15u\n"
	  "dSflrpedkTC/KKcRfZt9PU+gixL0WnNZ42D+9mjD5kmY9Qc5gA2U61/A9TtaGrYK\n"
	  "231oK1DbYFSscugI1FNJVDnUrFBvhdYQWRnSbwm3gq+893MCzGRklDwJVb1HbS6/\n"
	  "YtnjbkcCgYEAhW1rEDdKU8F+kqSED5i6fgzZPFcvLalnmf68p2Yyq/Y8UTmiVQyf\n"
	  "pG8WRWeuuP1rzfIfeIA+DixmSYZIzLMA4iudoFMDxLcBoCOUCxqxVYYbkAMR6Hfy\n"
	  "geaQm3WQr7KnrgKzcp+zXJQCM2Xo1W23oI49mEGRp7gI5YwEShaGpWw=\n"
	  "-----END RSA PRIVATE KEY-----\n"
	},
	{ KEY_DSA,
	  "-----BEGIN DSA PRIVATE KEY-----\n"
	  "MIIBugIBAAKBgQDB1O02aSLdV5e3iPFmwRln3XbQBOZEanUnELVt3OMIssPi2G1z\n"
	  "kYBnRqvylQOSNzSjfdCFhBwwZWOftd+6Xw6xSs+Szuns/V0HN3p0Wc7lA6Qij/AZ\n"
	  "QKSl9V3/ekQsaE5iPsDx6p9grJ4P66i8UP2yR9E287Vwivatb5ZPEs+C3wIVAOqw\n"
	  "tLHOgcrTFqjSK6a4hQBOC//fAoGAUFeQuHzq10R8dlDC7T+sF+ZLBbh42Zd+smv7\n"
	  "+v5KmFG9L2SOmrHQSga6Nt9JOqw6DC6Ej+e/IDw0A4xhuyEfsvBWJ7AaNUoLpS1J\n"
	  "npMr0p91wiMWjHMMpHCSkKYCQ8zaHGqD+a0+wTqXoqmelLZYCxN4E7J5YTtAbzz8\n"
	  "cIkea+sCgYB/9M4MHSAcVfSbUqatvn87R3+APvYUsAzfw0GNGoBAjirGO4zql/7n\n"
	  "rEynOMurWG19CTBrsIQQOBP+IG6mxZsBDTbyb+5Wl95QJO61FVWS2EubwMm7Y8J2\n"
	  "P4xWeCVv7pz0rxcEcI8MoAjhvUXYHa90CemIQWtlN9DnXjSkc9QEhQIUbSYGz3bC\n"
	  "mBgfccfHhVhf4me57AQ=\n"
	  "-----END DSA PRIVATE KEY-----\n"
	},
	{ KEY_ECDSA_P256,
	  "-----BEGIN EC PRIVATE KEY-----\n"
	  "MHcCAQEEIEoTgYvF/9LcR0c0f4LIvfTYO9s5U9Dj2wWPQPFqrGguoAoGCCqGSM49\n"
	  "AwEHoUQDQgAEHrQzXIcYr3aYzUU4xDHEE0DYpDz7lxh5kbEdtSHQw6CX7d+5XRLf\n"
	  "ATyW630KmWdCBqHDrYHGSYIJLjoLOVstNA==\n"
	  "-----END EC PRIVATE KEY-----\n"
	},
	{ KEY_ECDSA_P384,
	  "-----BEGIN EC PRIVATE KEY-----\n"
	  "MIGkAgEBBDATdst0euG8pbd3/7bOGx3OIpczLD3mk4r/Zu8rX+3Fsfd91v6LSez3\n"
	  "Agh0AwhJCWSgBwYFK4EEACKhZANiAATLurkomU4aRbDhytC2At0m/q0daDTcSXtq\n"
	  "IoQ1TThhx0VyyarcP+2vitNjkmkWtLeSnoK9AcD2MT/y8fRaTgAV5vxyBWlSlNk8\n"
	  "wPO7r8zkaXLIZoOXQtVPVTB/8/ZK9Do=\n"
	  "-----END EC PRIVATE KEY-----\n"
	},
	{ KEY_ECDSA_P521,
	  "-----BEGIN EC PRIVATE KEY-----\n"
	  "MIHcAgEBBEIAnxp5vGeh+T1fQPgJTxhQB+XFnk8HhYAQDdTAIJx854r8whcQh60J\n"
	  "r6Z6CBzP6qRzGxLcHFU7INTWebvRs386aQOgBwYFK4EEACOhgYkDgYYABAD7MdmN\n"
	  "5NVCugM5qfgRcypYV+CAdnv/klgmK4OL70Lz+leYinoT3xmQvd+aemQBF5Pmxc77\n"
	  "PsCYKJTqw3VibWaSSwGgLsx+5lRfkyy9Pv/p+b/hpDW7q9gKxcvlLln9iTPNx7tO\n"
	  "VoQG+/N11RkNSZXmjMXslv1VOm/Fu3QjgilUkGX+Sw==\n"
	  "-----END EC PRIVATE KEY-----\n"
	},
	{ KEY_ED25519,
	  "-----BEGIN PRIVATE KEY-----\n"
	  "MC4CAQAwBQYDK2VwBCIEIE8+wVSisvlIghHqEXZ4bq6LwgOYlUUfJrnf//qF2Pqh\n"
	  "-----END PRIVATE KEY-----\n"
	},
	{ KEY_ED448,
	  "-----BEGIN PRIVATE KEY-----\n"
	  "MEcCAQAwBQYDK2VxBDsEOUNcjVIY8TAZiEJVy9u4Pmq5cpyCldBucnqUwG0594ql\n"
	  "YlJNf0zaT9mz+cBcePIiaYuJfqs8gCWTTw==\n"
	  "-----END PRIVATE KEY-----\n"
	},
	{ KEY_ANY, NULL },
};
