import Foundation
import Router
import Testing

@Suite struct KeywordRuleTests {
  @Test func or_matchesAnyKeyword_atWordBoundaries() {
    let rule = KeywordRule(operator: .or, keywords: ["sum", "machine learning", "c++"])
    #expect(rule.matches("What is the sum of 2 and 3?"))
    #expect(rule.matches("SUM, please"))
    #expect(!rule.matches("Give me a summary"))
    #expect(!rule.matches("a checksum"))
    #expect(rule.matches("intro to Machine Learning."))
    #expect(!rule.matches("machine learnings"))
    #expect(rule.matches("is c++ hard"))
    #expect(!rule.matches(""))
  }

  @Test func and_needsEveryKeyword_nor_needsNone() {
    let and = KeywordRule(operator: .and, keywords: ["contract", "breach"])
    #expect(and.matches("Breach of contract remedies"))
    #expect(!and.matches("contract law"))
    let nor = KeywordRule(operator: .nor, keywords: ["contract", "breach"])
    #expect(nor.matches("what is a tort"))
    #expect(!nor.matches("contract law"))
  }

  @Test func caseSensitiveRule_matchesExactCaseOnly() {
    let rule = KeywordRule(operator: .or, keywords: ["Go"], caseSensitive: true)
    #expect(rule.matches("How do I write Go generics?"))
    #expect(!rule.matches("where do I go now"))
  }

  @Test func nonASCIIWords_stayWhole() {
    let rule = KeywordRule(operator: .or, keywords: ["café"])
    #expect(rule.matches("un café noir"))
    #expect(!rule.matches("cafés"))
  }
}

@Suite struct ClassifierTests {
  static let categories = [
    CategoryConfiguration(
      name: "math",
      examples: [
        "solve the equation for x", "what is the derivative of x squared",
        "compute the integral of sin x", "probability of rolling a six",
        "factor the polynomial", "what is the square root of 81",
      ]),
    CategoryConfiguration(
      name: "cooking",
      keywordRules: [KeywordRule(operator: .or, keywords: ["sourdough"])],
      examples: [
        "how long do I bake bread", "recipe for tomato soup", "how to boil an egg",
        "what spices go with chicken", "how to make pasta sauce", "roast vegetables in the oven",
      ]),
    CategoryConfiguration(name: "general"),
  ]

  static let classifier = Classifier(
    categories: categories, fallbackCategory: "general", confidenceThreshold: 0.6)

  @Test func statisticalClassifier_picksTheCategoryOfSimilarExamples() {
    let math = Self.classifier.classify("Find the derivative of this polynomial")
    #expect(math.category == "math")
    #expect(math.method == .statistical)
    #expect(math.confidence >= 0.6)
    let cooking = Self.classifier.classify("A good recipe for chicken soup?")
    #expect(cooking.category == "cooking")
  }

  @Test func keywordRules_comeFirst_withFullConfidence() {
    let result = Self.classifier.classify("the integral of my sourdough starter")
    #expect(result.category == "cooking")
    #expect(result.method == .keyword)
    #expect(result.confidence == 1)
  }

  @Test func unknownOrEmptyText_fallsBack() {
    let unknown = Self.classifier.classify("zebra umbrella")
    #expect(unknown.category == "general")
    #expect(unknown.method == .fallback)
    #expect(unknown.predictedCategory != nil)
    #expect(unknown.confidence < 0.6)
    let empty = Self.classifier.classify("")
    #expect(empty.category == "general")
    #expect(empty.confidence == 0)
  }

  @Test func systemPrompt_decidesWhenTheQueryAloneDoesNot() {
    let alone = Self.classifier.classify("what about this one")
    #expect(alone.method == .fallback)
    let withContext = Self.classifier.classify(
      "what about this one", context: "You solve equations, integrals and derivatives in math")
    #expect(withContext.category == "math")
  }

  @Test func queryVectors_areSimilarForSimilarTexts_only() {
    let a = Self.classifier.classify("What is the derivative of x squared?").vector
    let b = Self.classifier.classify("what is the derivative of x squared").vector
    let c = Self.classifier.classify("how to boil an egg").vector
    #expect(a.components.count == QueryVector.dimensions)
    #expect(abs(a.cosine(a) - 1) < 1e-5)
    #expect(a.cosine(b) > 0.99)
    #expect(a.cosine(c) < 0.5)
    let withOtherSystemPrompt = Self.classifier.classify(
      "What is the derivative of x squared?", context: "Answer like a pirate"
    ).vector
    #expect(a.cosine(withOtherSystemPrompt) > 0.999)  // the cache keys the system prompt instead
  }

  /// The vector alone (for a text the guards redacted) is the one `classify` builds, to the
  /// bit: keyword, statistical and fallback answers, an empty text, a long text's window.
  @Test func queryVector_isTheVectorClassifyBuilds() {
    let windowed = Classifier(
      categories: Self.categories, fallbackCategory: "general", confidenceThreshold: 0.6,
      maxQueryBytes: 100)
    let texts = [
      "the integral of my sourdough starter", "Find the derivative of this polynomial",
      "zebra umbrella", "", Self.longQuery,
    ]
    for classifier in [Self.classifier, windowed] {
      for text in texts {
        #expect(classifier.queryVector(of: text) == classifier.classify(text).vector, "\(text)")
      }
    }
  }

  /// 50 bytes of math, about 1 KB of cooking with a keyword in it, 60 bytes of math.
  static let longQuery =
    "Solve the equation for x and factor the polynomial "
    + String(repeating: "recipe for tomato soup, roast vegetables in the oven. ", count: 10)
    + "a sourdough loaf. "
    + String(repeating: "how long do I bake bread and boil an egg? ", count: 10)
    + "Then what is the derivative of x squared and its integral?"

  @Test func longQuery_isReadAtItsHeadAndTail_keywordsIncluded() {
    let windowed = Classifier(
      categories: Self.categories, fallbackCategory: "general", confidenceThreshold: 0.6,
      maxQueryBytes: 100)
    let result = windowed.classify(Self.longQuery)
    #expect(result.category == "math")
    #expect(result.method == .statistical)
    let whole = Classifier(
      categories: Self.categories, fallbackCategory: "general", confidenceThreshold: 0.6,
      maxQueryBytes: 0)
    #expect(whole.classify(Self.longQuery).method == .keyword)  // "sourdough", in the middle
  }

  @Test func windowCuts_leaveOutTheWordsTheyWouldSplit() {
    let windowed = Classifier(
      categories: Self.categories, fallbackCategory: "general", confidenceThreshold: 0.6,
      maxQueryBytes: 14)
    let whole = Classifier(
      categories: Self.categories, fallbackCategory: "general", confidenceThreshold: 0.6,
      maxQueryBytes: 0)
    // The cuts at 7 bytes from each end fall inside "derivative" and "pot".
    let cut = windowed.classify("egg derivative middle text pot soup").vector
    #expect(abs(cut.cosine(whole.classify("egg soup").vector) - 1) < 1e-5)
    // A window longer than the text reads it all.
    #expect(windowed.classify("egg soup").vector == whole.classify("egg soup").vector)
  }

  @Test func unreadDigest_isNilForShortQueries_andFollowsTheMiddle() {
    let windowed = Classifier(
      categories: Self.categories, fallbackCategory: "general", confidenceThreshold: 0.6,
      maxQueryBytes: 100)
    #expect(windowed.unreadDigest(of: "how to boil an egg") == nil)
    let digest = windowed.unreadDigest(of: Self.longQuery)
    #expect(digest != nil)
    #expect(digest == windowed.unreadDigest(of: Self.longQuery))
    let otherMiddle = Self.longQuery.replacingOccurrences(of: "sourdough", with: "rye")
    #expect(windowed.unreadDigest(of: otherMiddle) != digest)
    #expect(windowed.classify(otherMiddle).vector == windowed.classify(Self.longQuery).vector)
  }

  @Test func keywordRules_sharingAFirstWord_orStartingWithPunctuation_allMatch() {
    let classifier = Classifier(
      categories: [
        CategoryConfiguration(
          name: "ml",
          keywordRules: [
            KeywordRule(operator: .and, keywords: ["machine learning", "machine code"])
          ]),
        CategoryConfiguration(
          name: "dotnet", keywordRules: [KeywordRule(keywords: [".NET"], caseSensitive: true)]),
        CategoryConfiguration(name: "general"),
      ], fallbackCategory: "general", confidenceThreshold: 0.5)
    #expect(classifier.classify("machine code for machine learning").category == "ml")
    #expect(classifier.classify("machine learning only").category == "general")
    #expect(classifier.classify("porting to .NET 8").category == "dotnet")
    #expect(classifier.classify("porting to .net 8").category == "general")
  }

  @Test func keywordRules_inTheSharedScan_foldCase_andCompareWordsOver64BytesWhole() {
    let long = String(repeating: "x", count: 70)
    let classifier = Classifier(
      categories: [
        CategoryConfiguration(
          name: "long", keywordRules: [KeywordRule(keywords: [long + " tail"])]),
        CategoryConfiguration(
          name: "go", keywordRules: [KeywordRule(keywords: ["Go"], caseSensitive: true)]),
        CategoryConfiguration(name: "general"),
      ], fallbackCategory: "general", confidenceThreshold: 0.5)
    #expect(classifier.classify("see \(long.uppercased()) Tail here").category == "long")
    // Same first 64 bytes, one more letter: a different word.
    #expect(classifier.classify("see \(long)y tail").category == "general")
    #expect(classifier.classify("write Go code").category == "go")
    #expect(classifier.classify("go home").category == "general")
  }

  @Test func years_areOneFeature_otherNumbersAnother() {
    let classifier = Classifier(
      categories: [
        CategoryConfiguration(
          name: "math",
          examples: ["what is 12 plus 30", "compute 7 times 8", "divide 144 by 12", "half of 90"]),
        CategoryConfiguration(
          name: "history",
          examples: ["in 1066", "the revolution of 1789", "events of 1914", "life in the 1920s"]),
        CategoryConfiguration(name: "general"),
      ], fallbackCategory: "general", confidenceThreshold: 0.5)
    #expect(classifier.classify("1453?").category == "history")
    #expect(classifier.classify("the 1890s").category == "history")
    #expect(classifier.classify("453?").category == "math")
    #expect(classifier.classify("2500?").category == "math")
  }

  @Test func withoutExamples_onlyKeywordsAndFallbackApply() {
    let classifier = Classifier(
      categories: [
        CategoryConfiguration(name: "law", keywordRules: [KeywordRule(keywords: ["lawsuit"])]),
        CategoryConfiguration(name: "general"),
      ], fallbackCategory: "general", confidenceThreshold: 0.5)
    #expect(classifier.trainedCategories.isEmpty)
    #expect(classifier.classify("a lawsuit").category == "law")
    #expect(classifier.classify("anything else").category == "general")
  }
}
