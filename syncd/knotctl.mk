# SPDX-License-Identifier: GPL-3.0-or-later
# syncd: knotctl -- mecdns-syncd's client of knotd's control socket (libknot
# control API). The only code that talks to the control socket; syncd's
# state tracking and zone sync link this library.
noinst_LTLIBRARIES += syncd/libmecdns-knotctl.la
syncd_libmecdns_knotctl_la_SOURCES = syncd/knotctl.c syncd/knotctl.h \
	syncd/kexpiry.c syncd/kexpiry.h
syncd_libmecdns_knotctl_la_CFLAGS = $(AM_CFLAGS) $(libknot_CFLAGS)
syncd_libmecdns_knotctl_la_LIBADD = $(libknot_LIBS)
