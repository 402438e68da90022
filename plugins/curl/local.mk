# plugins/curl: the "fetcher" feature (CRLs, OCSP) on libcurl.
if ENABLE_CURL
plugin_LTLIBRARIES += plugins/curl/curl.la
plugins_curl_curl_la_SOURCES = plugins/curl/curl_plugin.c
plugins_curl_curl_la_CFLAGS = $(AM_CFLAGS) $(LIBCURL_CFLAGS)
plugins_curl_curl_la_LDFLAGS = $(MODULE_FLAGS)
plugins_curl_curl_la_LIBADD = libikev2d.la $(LIBCURL_LIBS)
endif
