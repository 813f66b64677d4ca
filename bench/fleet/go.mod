module profcol.local/bench/fleet

go 1.26.0
