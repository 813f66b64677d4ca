module profcol.local/benchgen

go 1.19
