print("semantic-router: under construction")
