// Writes docs/operations.md from the service registry: every operation's name, permission,
// summary, and its input and output as fields tables made from the JSON Schemas the registry
// publishes (service::describe). Nothing here knows an operation: a domain that registers one
// more gets its section on the next `./dev.sh docs`, and the test docs.operations_doc fails until
// the committed file is rewritten.
//
//   operations_doc [<output file>]     (standard output without one)
//
// The output is deterministic: operations and types sorted by name, no timestamps.
#include <cstdint>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "houqin/service/registry.hpp"

namespace {

using houqin::json::Json;

constexpr std::string_view defs_prefix = "#/$defs/";

// ---- markdown helpers ----

/// GitHub's heading anchors (github-slugger, for ASCII headings): lower case, punctuation other
/// than '-' and '_' dropped, spaces to '-', and "-1", "-2", ... for a repeated heading.
class Slugger {
 public:
  std::string slug(std::string_view heading) {
    std::string s;
    for (char c : heading) {
      auto u = static_cast<unsigned char>(c);
      if (u >= 'A' && u <= 'Z')
        s += static_cast<char>(u - 'A' + 'a');
      else if ((u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || c == '-' || c == '_' ||
               u >= 0x80)
        s += c;
      else if (c == ' ')
        s += '-';
    }
    auto [it, fresh] = seen_.try_emplace(s, 0);
    if (fresh) return s;
    std::string candidate;
    do {
      candidate = s + "-" + std::to_string(++it->second);
    } while (seen_.contains(candidate));
    seen_.emplace(candidate, 0);
    return candidate;
  }

 private:
  std::map<std::string, int> seen_;
};

/// Text for a table cell: '|' escaped, line breaks as spaces.
std::string cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += ' ';
    else
      out += c;
  }
  return out;
}

std::string code(std::string_view text) {
  return "`" + std::string(text) + "`";
}

std::string compact(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

// ---- the types that get an entry of their own ----

enum class Side { input, output };
std::string_view side_name(Side s) {
  return s == Side::input ? "input" : "output";
}

bool is_struct(const Json& s) {
  return s.is_object() && s.value("type", Json()) == "object" && s.contains("properties");
}

/// One described struct as a schema shows it on one side. Input and output differ for most
/// structs (input shows defaults and requires only some fields; output requires every field), so
/// a name can have two entries; the same name with the same definition is one entry.
struct TypeEntry {
  std::string name;
  Side side;
  Json schema;  // the definition
  Json defs;    // the $defs it was found among, for the types it refers to
  std::set<std::string> used_by;
  std::string heading;
  std::string anchor;
};

/// Key of a type entry: name, side and the definition's text.
using TypeKey = std::tuple<std::string, Side, std::string>;

struct Index {
  std::map<TypeKey, TypeEntry> types;
  // Output roots that several operations share (one fields table, linked from each).
  std::set<std::pair<std::string, std::string>> shared_outputs;
};

/// A root schema without its "$schema", "$defs" and "title": the struct definition it inlines.
Json root_definition(const Json& root) {
  Json def = root;
  def.erase("$schema");
  def.erase("$defs");
  def.erase("title");
  return def;
}

const Json& defs_of(const Json& root) {
  static const Json none = Json::object();
  auto it = root.find("$defs");
  return it == root.end() ? none : *it;
}

// ---- rendering a schema as a readable type ----

class Renderer {
 public:
  Renderer(const Index& index, const Json& defs, Side side)
      : index_(index), defs_(defs), side_(side) {}

  std::string type(const Json& s, int depth = 0) const {
    if (depth > 32) return "…";
    if (!s.is_object() || s.empty()) return "any JSON value";
    if (auto ref = s.find("$ref"); ref != s.end() && ref->is_string()) {
      std::string target = ref->get<std::string>();
      if (!target.starts_with(defs_prefix)) return code(target);
      std::string name = target.substr(defs_prefix.size());
      auto def = defs_.find(name);
      if (def == defs_.end()) return code(name);
      if (is_struct(*def)) return link(name, *def);
      return type(*def, depth + 1);
    }
    if (auto any = s.find("anyOf"); any != s.end() && any->is_array()) {
      std::vector<std::string> alternatives;
      bool nullable = false;
      for (const auto& a : *any) {
        if (a == Json{{"type", "null"}})
          nullable = true;
        else
          alternatives.push_back(type(a, depth + 1));
      }
      std::string out =
          alternatives.size() == 1 ? alternatives.front() : "any of: " + join(alternatives, "; ");
      if (!nullable) return out;
      return out.starts_with("one of: ") ? out + ", or null" : out + " or null";
    }
    if (auto values = s.find("enum"); values != s.end() && values->is_array()) {
      std::vector<std::string> names;
      for (const auto& v : *values)
        names.push_back(code(v.is_string() ? v.get<std::string>() : compact(v)));
      if (names.size() == 1) return "always " + names.front();
      return "one of: " + join(names, ", ");
    }
    if (auto c = s.find("const"); c != s.end()) return "always " + code(compact(*c));
    auto t = s.find("type");
    if (t == s.end()) return code(compact(s));
    if (t->is_array()) {
      std::vector<std::string> names;
      for (const auto& n : *t) names.push_back(type(Json{{"type", n}}, depth + 1));
      return join(names, " or ");
    }
    const std::string kind = t->get<std::string>();
    if (kind == "string") {
      std::string format = s.value("format", "");
      if (format == "date-time") return "date-time";
      if (format == "date") return "date";
      if (format == "duration") return "duration (ISO-8601)";
      if (!format.empty()) return "string (" + format + ")";
      return "string";
    }
    if (kind == "integer") return integer(s);
    if (kind == "array") {
      auto items = s.find("items");
      if (items == s.end()) return "array";
      return "array of " + nested(type(*items, depth + 1));
    }
    if (kind == "object") {
      auto extra = s.find("additionalProperties");
      bool has_properties = s.contains("properties") && !s["properties"].empty();
      if (!has_properties && extra != s.end() && extra->is_object())
        return "map string → " + nested(type(*extra, depth + 1));
      if (has_properties) return "object (fields below)";
      return "object";
    }
    return kind;  // number, boolean, null
  }

  /// The fields table of a struct definition.
  void fields(std::ostream& out, const Json& def) const {
    const auto& properties = def.value("properties", Json::object());
    if (properties.empty()) {
      out << "No fields (`{}`).\n";
      return;
    }
    std::set<std::string> required;
    for (const auto& r : def.value("required", Json::array()))
      required.insert(r.get<std::string>());
    // Required fields first on the input side; each group by name (the schema's order).
    std::vector<std::string> order;
    for (const auto& [name, _] : properties.items())
      if (side_ == Side::output || required.contains(name)) order.push_back(name);
    if (side_ == Side::input)
      for (const auto& [name, _] : properties.items())
        if (!required.contains(name)) order.push_back(name);
    if (side_ == Side::input) {
      out << "| field | type | required | notes |\n|---|---|---|---|\n";
    } else {
      out << "| field | type |\n|---|---|\n";
    }
    for (const auto& name : order) {
      const Json& p = properties[name];
      out << "| " << code(name) << " | " << cell(type(p));
      if (side_ == Side::input) {
        std::string note = cell(notes(p));
        out << " | " << (required.contains(name) ? "yes" : "no") << " | "
            << (note.empty() ? "" : note + " ");
      } else {
        out << " ";
      }
      out << "|\n";
    }
  }

 private:
  std::string link(const std::string& name, const Json& def) const {
    auto it = index_.types.find(TypeKey{name, side_, compact(def)});
    if (it == index_.types.end()) return code(name);
    return "[" + name + "](#" + it->second.anchor + ")";
  }

  static std::string nested(const std::string& inner) {
    bool compound = inner.starts_with("one of") || inner.starts_with("any of") ||
                    inner.find(" or ") != std::string::npos;
    return compound ? "(" + inner + ")" : inner;
  }

  static std::string integer(const Json& s) {
    auto min = s.find("minimum");
    auto max = s.find("maximum");
    if (min == s.end() && max == s.end()) return "integer";
    auto text = [](const Json& v) { return compact(v); };
    bool full_int64 = min != s.end() && max != s.end() && min->is_number_integer() &&
                      max->is_number_integer() &&
                      min->get<std::int64_t>() == std::numeric_limits<std::int64_t>::min() &&
                      max->get<std::int64_t>() == std::numeric_limits<std::int64_t>::max();
    if (full_int64) return "integer";
    if (min != s.end() && max != s.end() && *min == std::numeric_limits<std::int32_t>::min() &&
        *max == std::numeric_limits<std::int32_t>::max())
      return "integer (32-bit)";
    if (min != s.end() && max != s.end()) {
      if (*min == *max) return "integer, always " + text(*min);
      return "integer (" + text(*min) + ".." + text(*max) + ")";
    }
    if (min != s.end()) return "integer (≥ " + text(*min) + ")";
    return "integer (≤ " + text(*max) + ")";
  }

  static std::string notes(const Json& p) {
    std::vector<std::string> parts;
    if (auto d = p.find("default"); d != p.end() && !d->is_null())
      parts.push_back("default " + code(compact(*d)));
    if (auto d = p.find("description"); d != p.end() && d->is_string())
      parts.push_back(d->get<std::string>());
    return join(parts, "; ");
  }

  const Index& index_;
  const Json& defs_;
  Side side_;
};

// ---- the document ----

struct Op {
  std::string name, domain, permission, summary;
  Json input, output;
  std::string anchor;
};

std::string title_of(const Json& root) {
  return root.value("title", "");
}

Index build_index(const std::vector<Op>& ops) {
  Index index;
  std::map<std::pair<std::string, std::string>, int> output_roots;
  for (const auto& op : ops) {
    Json def = root_definition(op.output);
    if (is_struct(def) && !def["properties"].empty() && !title_of(op.output).empty())
      ++output_roots[{title_of(op.output), compact(def)}];
  }
  for (const auto& [key, uses] : output_roots)
    if (uses > 1) index.shared_outputs.insert(key);

  auto add = [&index](const std::string& name, Side side, const Json& def, const Json& defs,
                      const std::string& op) {
    auto [it, fresh] = index.types.try_emplace(TypeKey{name, side, compact(def)});
    if (fresh) {
      it->second.name = name;
      it->second.side = side;
      it->second.schema = def;
      it->second.defs = defs;
    }
    it->second.used_by.insert(op);
  };
  for (const auto& op : ops) {
    for (Side side : {Side::input, Side::output}) {
      const Json& root = side == Side::input ? op.input : op.output;
      for (const auto& [name, def] : defs_of(root).items())
        if (is_struct(def)) add(name, side, def, defs_of(root), op.name);
    }
    Json def = root_definition(op.output);
    if (index.shared_outputs.contains({title_of(op.output), compact(def)}))
      add(title_of(op.output), Side::output, def, defs_of(op.output), op.name);
  }
  return index;
}

void write_document(std::ostream& out) {
  std::vector<Op> ops;
  for (const auto* op : houqin::service::operations()) {
    const std::string& name = op->name;
    ops.push_back(Op{name,
                     name.substr(0, name.find('.')),
                     op->permission,
                     op->summary,
                     op->input,
                     op->output,
                     {}});
  }
  std::map<std::string, std::vector<Op*>> domains;  // sorted; operations() is sorted by name
  for (auto& op : ops) domains[op.domain].push_back(&op);

  Index index = build_index(ops);
  // Headings of one type name: "name" alone, or "name (input)" / "name (output)" when the two
  // sides differ (and a number in the unlikely case of two definitions on one side).
  std::map<std::string, std::vector<TypeEntry*>> by_name;
  for (auto& [key, entry] : index.types) by_name[entry.name].push_back(&entry);
  for (auto& [name, entries] : by_name) {
    std::map<Side, int> per_side, seen;
    for (auto* e : entries) ++per_side[e->side];
    for (auto* e : entries) {
      e->heading = name;
      if (entries.size() > 1) {
        e->heading += " (" + std::string(side_name(e->side));
        if (per_side[e->side] > 1) e->heading += " " + std::to_string(++seen[e->side]);
        e->heading += ")";
      }
    }
  }

  // Anchors in the order GitHub numbers repeated headings: the document's order.
  Slugger slugger;
  slugger.slug("Operations");
  slugger.slug("Contents");
  for (auto& [domain, list] : domains) {
    slugger.slug(domain);
    for (auto* op : list) op->anchor = slugger.slug(op->name);
  }
  std::string types_anchor = slugger.slug("Types");
  for (auto& [name, entries] : by_name)
    for (auto* e : entries) e->anchor = slugger.slug(e->heading);

  out << "# Operations\n\n"
      << "<!-- Generated by tests/docs/operations_doc.cpp from the service registry. "
         "Do not edit: run ./dev.sh docs. -->\n\n"
      << "Every operation of the service registry (`service::operations()`), generated from the "
         "JSON Schemas (draft 2020-12) each one publishes. Do not edit this file: `./dev.sh docs` "
         "rewrites it, and the test `docs.operations_doc` fails when it is stale.\n\n"
      << "Each operation is called by name with a JSON object and returns one: from C++ "
         "`service::call(store, actor, \"<name>\", input)`, from C `hq_call(&out, store, actor, "
         "\"<name>\", json)` ([c-abi.md](c-abi.md)), from Python `houqin.call(store, actor, "
         "\"<name>\", {...})` or `houqin.services.<domain>.<verb>(store, actor, field=value)` "
         "([python.md](python.md)). The same schemas come from `hq_operations()` and "
         "`houqin.operations()`.\n\n"
      << "- An actor who holds the operation's permission in no scope is refused before the "
         "input is read; the operation then checks the permission in the scope of what it "
         "touches.\n"
      << "- Input fields not listed are refused, and so are wrong types and unknown enum "
         "values; an absent optional field takes the default shown.\n"
      << "- Times are ISO-8601 UTC text (`2026-11-25T18:29:09Z`), dates `YYYY-MM-DD`, durations "
         "ISO-8601 (`PT15M`); enums are their names.\n"
      << "- Structs used inside inputs and outputs, and outputs that several operations share, "
         "have one entry each under [Types](#"
      << types_anchor << ").\n\n";

  out << "## Contents\n\n";
  for (const auto& [domain, list] : domains) {
    std::vector<std::string> links;
    for (const auto* op : list)
      links.push_back("[" + op->name.substr(domain.size() + 1) + "](#" + op->anchor + ")");
    out << "- **" << domain << "**: " << join(links, ", ") << "\n";
  }
  out << "- [Types](#" << types_anchor << ")\n\n";

  for (const auto& [domain, list] : domains) {
    out << "## " << domain << "\n\n";
    for (const auto* op : list) {
      out << "### " << op->name << "\n\n"
          << op->summary << (op->summary.ends_with('.') ? "" : ".") << "\n\n";
      out << "Permission: "
          << (op->permission.empty() ? std::string("any signed-in actor") : code(op->permission))
          << ".\n\n";

      Renderer in(index, defs_of(op->input), Side::input);
      Json in_def = root_definition(op->input);
      std::string in_title = title_of(op->input);
      if (is_struct(in_def) && in_def["properties"].empty()) {
        out << "Input: none (`{}`).\n\n";
      } else if (is_struct(in_def)) {
        out << "Input" << (in_title.empty() ? "" : " (" + code(in_title) + ")") << ":\n\n";
        in.fields(out, in_def);
        out << "\n";
      } else {
        out << "Input: " << in.type(in_def) << ".\n\n";
      }

      Renderer res(index, defs_of(op->output), Side::output);
      Json out_def = root_definition(op->output);
      std::string out_title = title_of(op->output);
      if (is_struct(out_def) && out_def["properties"].empty()) {
        out << "Output: nothing (`{}`).\n\n";
      } else if (is_struct(out_def) &&
                 index.shared_outputs.contains({out_title, compact(out_def)})) {
        const auto& e = index.types.at(TypeKey{out_title, Side::output, compact(out_def)});
        out << "Output: [" << out_title << "](#" << e.anchor << "), an object.\n\n";
      } else if (is_struct(out_def)) {
        out << "Output" << (out_title.empty() ? "" : " (" + code(out_title) + ")")
            << ", an object:\n\n";
        res.fields(out, out_def);
        out << "\n";
      } else {
        out << "Output: " << res.type(out_def) << ".\n\n";
      }
    }
  }

  out << "## Types\n\n"
      << "Structs inside the inputs and outputs above, by name. Where a struct reads differently "
         "as input (defaults, only some fields required) and as output (every field present), it "
         "has an entry for each side.\n\n";
  for (const auto& [name, entries] : by_name) {
    for (const auto* e : entries) {
      out << "### " << e->heading << "\n\n";
      std::vector<std::string> users;
      for (const auto& u : e->used_by) {
        std::string anchor;
        for (const auto& op : ops)
          if (op.name == u) anchor = op.anchor;
        users.push_back("[" + u + "](#" + anchor + ")");
      }
      out << (e->side == Side::input ? "In the input of " : "In the output of ")
          << join(users, ", ") << ".\n\n";
      Renderer r(index, e->defs, e->side);
      r.fields(out, e->schema);
      out << "\n";
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::ostringstream text;
    write_document(text);
    std::string doc = text.str();
    while (doc.ends_with("\n\n")) doc.pop_back();
    if (argc > 1) {
      std::ofstream file(argv[1], std::ios::binary | std::ios::trunc);
      file << doc;
      if (!file.flush()) {
        std::cerr << "operations_doc: cannot write " << argv[1] << "\n";
        return 1;
      }
    } else {
      std::cout << doc;
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "operations_doc: " << e.what() << "\n";
    return 1;
  }
}
