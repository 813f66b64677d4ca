module profcol/tests/support/go_alloc

go 1.19
