package router

import "testing"

// BenchmarkRoute measures planning alone (parse + route), the per-statement
// cost the proxy adds before any backend I/O.
func BenchmarkRoute(b *testing.B) {
	r := New(testConfig())
	statements := []string{
		"SELECT * FROM travelrecord WHERE id = 7",
		"SELECT fee, COUNT(*) FROM travelrecord GROUP BY fee ORDER BY fee LIMIT 10",
		"INSERT INTO travelrecord (id, fee) VALUES (1, 1), (2, 2), (3, 3)",
		"SELECT * FROM customer c JOIN orders o ON o.customer_id = c.id WHERE c.id = 4",
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := r.Route("TESTDB", statements[i%len(statements)]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "statements/s")
}
