module profcol/tests/support/go_pprof_target

go 1.19
