module mecdns.bench/mapdns

go 1.19

require github.com/miekg/dns v1.1.50
