# kernel-backends/null: build fragment, included from the top Makefile.am.
