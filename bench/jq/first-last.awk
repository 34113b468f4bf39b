# Input sorted by its first three tab-separated fields then time: prints each group's count, first and last time.
{ key = $1 "\t" $2 "\t" $3 }
key != last { if (NR > 1) print n "\t" last "\t" first "\t" latest; last = key; n = 0; first = $4 }
{ n++; latest = $4 }
END { if (NR > 0) print n "\t" last "\t" first "\t" latest }
