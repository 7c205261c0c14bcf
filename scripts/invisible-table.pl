#!/usr/bin/env perl
# Prints the ranges of code points that Tidtam counts as invisible (blank):
# Unicode's White_Space and Default_Ignorable_Code_Point properties, merged,
# as the Rust table of src/validation.rs (`INVISIBLE`) and as the character
# class for the database CHECKs (PostgreSQL ARE syntax).
# Uses perl's own Unicode database (Unicode::UCD).
use strict;
use warnings;
use Unicode::UCD;

my @ranges;
my ($start, $in) = (undef, 0);
for my $c (0 .. 0x110000) {
    my $m = $c <= 0x10FFFF
        && chr($c) =~ /[\p{White_Space}\p{Default_Ignorable_Code_Point}]/ ? 1 : 0;
    if ($m && !$in) { ($start, $in) = ($c, 1) }
    if (!$m && $in) { push @ranges, [$start, $c - 1]; $in = 0 }
}
print "// Unicode ", Unicode::UCD::UnicodeVersion(), "\n";
printf "    (0x%04X, 0x%04X),\n", @$_ for @ranges;
print "-- SQL class: [";
for (@ranges) {
    my ($a, $b) = @$_;
    my $f = sub { $_[0] > 0xFFFF ? sprintf('\\U%08X', $_[0]) : sprintf('\\u%04X', $_[0]) };
    print $a == $b ? $f->($a) : $f->($a) . '-' . $f->($b);
}
print "]\n";
