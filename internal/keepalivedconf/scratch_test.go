package keepalivedconf
import ("testing";"fmt")
func TestScratch(t *testing.T){
 _, f, err := Load("testdata/seed-master.conf", Options{})
 for _, x := range f { fmt.Println(x) }
 fmt.Println(err)
}
