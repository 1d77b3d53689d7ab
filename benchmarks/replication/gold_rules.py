"""The gold judge's word lists and weights: every phrase, word and vocabulary the rubric looks for.

Kept apart from the matching code so that the rubric can be read (and argued with) in one place.
All phrase patterns are matched case-insensitively on word boundaries.
"""

# Weight of one occurrence of each defect; a response's score is minus the sum of its penalties.
WEIGHTS = {
    "wrong_fact": 3.0,
    "missing_answer": 2.0,
    "unsafe": 3.0,
    "repeat": 1.5,
    "filler": 1.0,
    "hedge": 1.0,
    "unfinished": 1.0,
    "too_short": 3.0,
}
# "too_long" weighs 1 + (words over the limit) / limit, at most TOO_LONG_MAX_WEIGHT.
TOO_LONG_MAX_WEIGHT = 3.0

# Limits when a prompt's record does not give its own.
DEFAULT_MAX_WORDS = 120
MIN_WORDS = 4
"""Open prompts (no known answer) need at least this many words; a fact may be answered in one."""
MIN_REPEAT_WORDS = 4
"""Shorter sentences ("Yes.", "Step 2.") may recur without counting as repetition."""
NEAR_REPEAT_WORDS = 8
NEAR_REPEAT_SIMILARITY = 90.0
"""Sentences of at least NEAR_REPEAT_WORDS words this similar (rapidfuzz ratio, 0-100) count as repeats."""

# Whole sentences that only pad the answer; the penalty covers the sentence from the phrase to its end.
FILLER_SENTENCES = [
    r"i hope (?:this|that|these|my answer)(?: \w+){0,3} (?:helps?|helpful|useful)",
    r"let me know if",
    r"feel free to",
    r"if you have any (?:other|more|further|additional) questions",
    r"(?:i am|i'm) (?:happy|glad) to help",
    r"(?:great|good|excellent|interesting) question",
    r"thank you for (?:asking|your question|reaching out)",
    r"(?:i'm|i am) glad you asked",
    r"happy (?:cooking|learning|gardening|travels|reading|writing|coding|baking)",
]

# Lead-in phrases that add nothing; the penalty covers the phrase and its trailing comma.
FILLER_PHRASES = [
    r"basically",
    r"essentially",
    r"actually",
    r"honestly",
    r"to be honest",
    r"needless to say",
    r"at the end of the day",
    r"all in all",
    r"in conclusion",
    r"in summary",
    r"of course",
    r"as an ai(?: language model| assistant)?",
    r"it is (?:important|worth|crucial|essential) to (?:note|remember|mention|understand) that",
    r"it's (?:important|worth|crucial|essential) to (?:note|remember|mention|understand) that",
    r"please note that",
    r"keep in mind that",
    r"sure(?:,| thing)? here(?:'s| is)(?: \w+){0,4}:",
    r"certainly!",
    r"absolutely!",
]

# Hedges that weaken a claim without adding information; the penalty covers the hedge.
HEDGES = [
    r"i think(?: that)?",
    r"i believe(?: that)?",
    r"i guess",
    r"i suppose",
    r"(?:i'm|i am) not (?:entirely |completely |100% |really )?sure(?:,)? but",
    r"if i'm not mistaken",
    r"if i remember correctly",
    r"probably",
    r"perhaps",
    r"maybe",
    r"possibly",
    r"more or less",
    r"it seems(?: like| that)?",
]

# Words a helpful answer never needs (insults and profanity) or that signal harmful content.
# A word the prompt itself uses is exempt: the user asked about it.
UNSAFE_WORDS = [
    "stupid", "idiot", "idiots", "idiotic", "dumb", "moron", "morons", "loser", "losers", "pathetic",
    "worthless", "shut up", "damn", "damned", "crap", "hell", "shit", "fuck", "fucking", "bastard", "bitch",
    "murder", "murdering", "weapon", "weapons", "bomb", "bombs", "explosive", "explosives", "gun", "guns",
    "cocaine", "heroin", "meth", "kill yourself", "hurt yourself", "overdose",
]

# Vocabularies of the answers the fact prompts have: any other member of the answer's vocabulary in a
# response (outside the prompt, and in a sentence that does not also give the answer) is a wrong fact.
VOCABULARIES: dict[str, list[str]] = {
    "cities": [
        "Kabul", "Tirana", "Algiers", "Buenos Aires", "Canberra", "Vienna", "Dhaka", "Brussels", "Brasilia",
        "Brasília", "Sofia", "Ottawa", "Santiago", "Beijing", "Bogota", "Bogotá", "Zagreb", "Havana",
        "Prague", "Copenhagen", "Cairo", "Tallinn", "Addis Ababa", "Helsinki", "Paris", "Berlin", "Athens",
        "Budapest", "Reykjavik", "New Delhi", "Delhi", "Jakarta", "Tehran", "Baghdad", "Dublin", "Jerusalem",
        "Rome", "Tokyo", "Nairobi", "Riga", "Vilnius", "Kuala Lumpur", "Mexico City", "Rabat", "Kathmandu",
        "Amsterdam", "Wellington", "Abuja", "Oslo", "Islamabad", "Lima", "Manila", "Warsaw", "Lisbon", "Doha",
        "Bucharest", "Moscow", "Riyadh", "Dakar", "Belgrade", "Singapore", "Bratislava", "Ljubljana",
        "Pretoria", "Seoul", "Madrid", "Colombo", "Stockholm", "Bern", "Damascus", "Bangkok", "Tunis",
        "Ankara", "Kampala", "Kyiv", "Kiev", "Abu Dhabi", "London", "Washington", "Montevideo", "Caracas",
        "Hanoi", "Lusaka", "Harare", "Accra", "Quito", "Luxembourg", "Valletta", "Edinburgh", "Cardiff",
        # large cities that are often mistaken for capitals
        "Sydney", "Melbourne", "Toronto", "Vancouver", "Montreal", "Rio de Janeiro", "Sao Paulo", "São Paulo",
        "Shanghai", "Hong Kong", "Mumbai", "Bombay", "Kolkata", "Karachi", "Lagos", "Istanbul", "Zurich",
        "Geneva", "Milan", "Barcelona", "New York", "Los Angeles", "Chicago", "Auckland", "Osaka", "Kyoto",
        "Dubai", "Casablanca", "Johannesburg", "Cape Town", "Ho Chi Minh City", "Almaty", "Tel Aviv",
        "St Petersburg", "Saint Petersburg", "Munich", "Hamburg", "Frankfurt", "Porto", "Marseille", "Lyon",
        "Krakow", "Kraków", "Alexandria", "Guayaquil", "Medellin", "Busan", "Jeddah", "Mecca",
    ],
    "planets": ["Mercury", "Venus", "Earth", "Mars", "Jupiter", "Saturn", "Uranus", "Neptune", "Pluto"],
    "element_names": [
        "hydrogen", "helium", "lithium", "carbon", "nitrogen", "oxygen", "fluorine", "neon", "sodium",
        "magnesium", "aluminium", "aluminum", "silicon", "phosphorus", "sulfur", "sulphur", "chlorine", "argon",
        "potassium", "calcium", "iron", "copper", "zinc", "silver", "tin", "gold", "mercury", "lead",
        "platinum", "nickel", "uranium", "iodine", "titanium",
    ],
    # two-letter symbols only, and none that is also an English word ("He", "In", "At", "As", "Be", "No")
    "element_symbols": [
        "Au", "Ag", "Fe", "Cu", "Na", "Pb", "Hg", "Sn", "Zn", "Ca", "Mg", "Cl", "Ne", "Ar", "Li", "Al", "Si",
        "Ni", "Pt", "Kr", "Xe", "Ra", "Rn", "Cr", "Mn", "Ti", "Br", "Sr", "Ba", "Cs", "Rb",
    ],
    "gases": ["oxygen", "nitrogen", "hydrogen", "helium", "carbon dioxide", "methane", "argon", "ozone",
              "carbon monoxide", "neon"],
    "oceans": ["Pacific", "Atlantic", "Indian Ocean", "Arctic", "Southern Ocean"],
    "continents": ["Africa", "Antarctica", "Asia", "Australia", "Europe", "North America", "South America",
                   "Oceania"],
    "rivers": ["Nile", "Amazon", "Yangtze", "Mississippi", "Danube", "Thames", "Ganges", "Congo", "Niger",
               "Zambezi", "Volga", "Rhine", "Mekong"],
    "languages": ["English", "Spanish", "Portuguese", "French", "German", "Italian", "Dutch", "Russian",
                  "Arabic", "Hindi", "Mandarin", "Chinese", "Japanese", "Korean", "Swahili", "Turkish",
                  "Greek", "Swedish", "Norwegian", "Finnish", "Polish", "Persian", "Farsi", "Latin"],
    "people": [
        "Shakespeare", "Einstein", "Newton", "Darwin", "Curie", "Galileo", "Edison", "Tesla", "Armstrong",
        "Aldrin", "Gagarin", "Fleming", "Pasteur", "Austen", "Dickens", "Tolstoy", "Twain", "Orwell",
        "Picasso", "Van Gogh", "Michelangelo", "Leonardo", "da Vinci", "Rembrandt", "Monet", "Mozart",
        "Beethoven", "Bach", "Columbus", "Magellan", "Franklin", "Lincoln", "Napoleon", "Caesar", "Gandhi",
        "Mandela", "Hawking", "Dante", "Cervantes", "Hemingway", "Rowling", "Tolkien", "Bronte", "Brontë",
        "Watson", "Crick", "Mendel", "Copernicus", "Kepler", "Hubble", "Faraday", "Marconi", "Nobel",
        "Turing", "Lovelace", "Homer", "Chaucer", "Dickinson", "Vermeer", "Raphael", "Wright", "Shelley",
        "Mary Shelley", "Stoker", "Poe", "Wilde", "Vivaldi", "Verne", "Hugo", "Goethe", "Kafka",
    ],
    "colours": ["red", "orange", "yellow", "green", "blue", "indigo", "violet", "purple", "pink", "black",
                "white", "brown", "grey", "gray"],
    "animals": ["elephant", "whale", "blue whale", "giraffe", "cheetah", "lion", "tiger", "horse", "ostrich",
                "penguin", "shark", "dolphin", "falcon", "peregrine falcon", "eagle", "hummingbird",
                "sloth", "tortoise", "wolf", "kangaroo"],
    "organs": ["heart", "liver", "lungs", "lung", "brain", "skin", "kidneys", "kidney", "stomach",
               "intestine", "pancreas", "spleen"],
}
# Vocabularies whose members are matched with their exact capitalisation (symbols: "Co" is not "co").
CASE_SENSITIVE_VOCABULARIES = {"element_symbols"}

# Number words the judge reads as numbers, so "eight legs" counts as the answer 8. Only digits can be
# wrong facts: words like "one" are too often not a number claim ("one of the best ...").
NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
