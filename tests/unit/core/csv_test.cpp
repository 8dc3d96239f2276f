// CSV from described structs: the header in declared order, values as their JSON forms, quoting
// by RFC 4180, empty optionals empty.
#include "houqin/core/csv.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace houqin::csvtest {

BOOST_DEFINE_ENUM_CLASS(Colour, red, green)
struct Row {
  std::string name;
  double kg = 0;
  std::optional<std::int32_t> bed;
  Colour colour = Colour::red;
  bool ok = false;
  std::vector<std::string> tags;
};
BOOST_DESCRIBE_STRUCT(Row, (), (name, kg, bed, colour, ok, tags))

TEST(CsvTest, HeaderInDeclaredOrderAndValuesAsTheirJsonForms) {
  std::vector<Row> rows{{"ICU 重症", 2.5, 3, Colour::green, true, {"a", "b"}},
                        {"say \"hi\", twice", 0, std::nullopt, Colour::red, false, {}},
                        {" padded", 1, std::nullopt, Colour::red, false, {}}};
  EXPECT_EQ(csv::write(std::span<const Row>(rows)),
            "name,kg,bed,colour,ok,tags\r\n"
            "ICU 重症,2.5,3,green,true,\"[\"\"a\"\",\"\"b\"\"]\"\r\n"
            "\"say \"\"hi\"\", twice\",0.0,,red,false,[]\r\n"
            "\" padded\",1.0,,red,false,[]\r\n");
  EXPECT_EQ(csv::field(std::string_view("line\nbreak")), "\"line\nbreak\"");
}

}  // namespace houqin::csvtest
