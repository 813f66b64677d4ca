module profcol/pprof/testdata/gen

go 1.19
