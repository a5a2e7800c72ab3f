#!/usr/bin/perl -w
# Imports an mbox into a new public-inbox v2 inbox with the full (Xapian) index, the
# way public-inbox's own scripts/import_vger_from_mbox does: InboxWritable's
# import_mbox reads the file with PublicInbox::MboxReader and adds every message
# through V2Writable, which writes git, over.sqlite3 and the Xapian shards (as many
# as public-inbox picks for the machine's CPUs, in parallel). When it returns,
# everything is committed and searchable.
#
#	perl publicinbox_import.pl NAME ADDRESS INBOXDIR MBOX FORMAT
#
# FORMAT is the mbox flavour: mboxrd or mboxo. Prints "imported N messages".
use strict;
use v5.10.1;
use PublicInbox::Inbox;
use PublicInbox::InboxWritable;
use PublicInbox::V2Writable;

my $usage = "usage: $0 NAME ADDRESS INBOXDIR MBOX FORMAT\n";
my ($name, $address, $dir, $mbox, $format) = @ARGV;
die $usage unless defined $format;
my $ibx = PublicInbox::Inbox->new({
	inboxdir => $dir,
	name => $name,
	version => 2,
	address => [ $address ],
	indexlevel => 'full',
});
# undef: as many shards as public-inbox picks for this machine (public-inbox-init's default)
PublicInbox::V2Writable->new($ibx, 1)->init_inbox(undef);
$ibx = PublicInbox::InboxWritable->new($ibx);
open(my $fh, '<', $mbox) or die "open $mbox: $!\n";
binmode $fh;
$ibx->import_mbox($fh, $format); # reads $fh to its end and closes it

my $done = PublicInbox::Inbox->new({ inboxdir => $dir, name => $name, version => 2, address => [ $address ] });
say 'imported ', $done->mm->num_highwater // 0, ' messages';
