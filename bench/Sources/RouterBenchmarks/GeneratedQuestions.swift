/// Distinct real-ish user questions for the cache index benchmark, from templates over small
/// vocabularies (121,100 combinations), in a fixed pseudo-random order: many share a
/// template and most of their words, as a cache's questions do, so the embeddings cluster.
enum GeneratedQuestions {
  /// Lead-ins that turn a stored question into a near-duplicate query.
  static let leadIns = [
    "Quick question: ", "Hi! ", "Can you help? ", "I was wondering, ", "Please answer: ",
  ]

  /// The first `count` questions of the fixed order (at most every combination).
  static func make(count: Int) -> [String] {
    var all: [String] = []
    for verb in verbs {
      for thing in things {
        for tool in tools {
          all.append("How do I \(verb) \(thing) in \(tool)?")
          all.append("What is the fastest way to \(verb) \(thing) in \(tool)?")
          all.append("What's the idiomatic way to \(verb) \(thing) in \(tool)?")
        }
      }
    }
    for thing in devices {
      for symptom in symptoms {
        for action in actions { all.append("Why does my \(thing) \(symptom) when I \(action)?") }
      }
    }
    for attribute in attributes {
      for place in places { all.append("What is the \(attribute) of \(place)?") }
    }
    for concept in concepts {
      for audience in audiences { all.append("Can you explain \(concept) to \(audience)?") }
    }
    // A fixed shuffle (Fisher–Yates), so any prefix mixes the templates.
    var random = SplitMix64(seed: 2026)
    for index in stride(from: all.count - 1, to: 0, by: -1) {
      all.swapAt(index, Int(random.next() % UInt64(index + 1)))
    }
    return Array(all.prefix(count))
  }

  private static let verbs = [
    "sort", "reverse", "filter", "parse", "serialize", "validate", "merge", "split", "deduplicate",
    "cache", "log", "test", "profile", "encrypt", "compress", "download", "upload", "stream",
    "paginate", "retry", "schedule", "debounce", "mock", "benchmark", "format", "index",
    "rename", "copy", "delete", "export",
  ]
  private static let things = [
    "a list", "a dictionary", "a JSON file", "a CSV file", "a date string", "an HTTP request",
    "a database table", "a binary tree", "a linked list", "an image", "a video", "a PDF",
    "a log file", "environment variables", "command line arguments", "a web form",
    "a websocket message", "a YAML config", "a large array", "user input", "a queue",
    "a hash map", "a set of strings", "a matrix", "a time series", "an XML document",
    "a zip archive", "a REST response", "a SQL query result", "a protobuf message",
    "a graph", "a priority queue", "a bitmap", "an audio file", "a text file",
    "a spreadsheet", "a socket", "a cookie", "a session token", "a Unicode string",
  ]
  private static let tools = [
    "Python", "JavaScript", "TypeScript", "Go", "Rust", "Java", "Kotlin", "Swift", "C++", "C#",
    "Ruby", "PHP", "Scala", "Haskell", "Elixir", "Bash", "PowerShell", "R", "Julia", "Dart",
    "Lua", "Perl", "Clojure", "OCaml", "Zig", "Node.js", "Django", "Rails", "Spring", "pandas",
  ]
  private static let devices = [
    "laptop", "phone", "car", "dishwasher", "washing machine", "printer", "router", "fridge",
    "bike", "TV", "microwave", "headphones", "keyboard", "monitor", "tablet", "smartwatch",
    "air conditioner", "vacuum cleaner", "oven", "camera", "drone", "game console", "speaker",
    "coffee machine", "electric kettle", "heater", "fan", "toaster", "blender", "scooter",
  ]
  private static let symptoms = [
    "make a clicking noise", "get hot", "shut down", "freeze", "beep", "smell like burning",
    "vibrate", "flicker", "lose power", "restart", "leak water", "run slowly", "disconnect",
    "show an error", "drain the battery", "make a grinding sound", "stop responding",
    "turn off by itself", "smoke", "buzz",
  ]
  private static let actions = [
    "turn it on", "plug it in", "charge it", "use it for an hour", "open the door",
    "start a program", "connect to wifi", "press the main button", "change the settings",
    "move it", "update the software", "use it in the cold", "use it at night",
    "run two things at once", "unplug it", "open the lid", "adjust the volume", "pair it",
    "clean it", "leave it idle",
  ]
  private static let attributes = [
    "population", "capital", "area", "official language", "currency", "highest point",
    "average temperature", "main export", "time zone", "national dish", "oldest building",
    "largest city", "literacy rate", "life expectancy", "founding date", "national animal",
    "main religion", "GDP", "coastline length", "flag colours",
  ]
  private static let places = [
    "France", "Germany", "Japan", "Brazil", "Canada", "Kenya", "India", "Australia", "Mexico",
    "Egypt", "Norway", "Chile", "Vietnam", "Italy", "Spain", "Peru", "Ghana", "Iceland",
    "Turkey", "Poland", "Argentina", "Morocco", "Thailand", "Greece", "Portugal", "Ireland",
    "Nepal", "Cuba", "Finland", "Sweden", "Texas", "California", "Bavaria", "Ontario",
    "Tokyo", "Paris", "London", "Cairo", "Lima", "Oslo",
  ]
  private static let concepts = [
    "compound interest", "photosynthesis", "inflation", "quantum entanglement", "recursion",
    "supply and demand", "the immune system", "black holes", "climate change", "blockchain",
    "machine learning", "the stock market", "evolution", "plate tectonics", "gravity",
    "vaccines", "democracy", "the French Revolution", "relativity", "DNA replication",
    "neural networks", "interest rates", "the water cycle", "electricity", "magnetism",
    "entropy", "game theory", "probability", "calculus", "the internet",
  ]
  private static let audiences = [
    "a five year old", "a teenager", "a beginner", "a senior engineer", "my grandmother",
    "a history student", "a doctor", "a lawyer", "an investor", "a high school class",
  ]
}
