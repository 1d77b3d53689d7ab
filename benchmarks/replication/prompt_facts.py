"""Fact prompts with known answers: capitals, arithmetic, unit conversions, dates of events, simple science.

Hand-written tables, turned into PromptRecords by make_prompts.py with a few phrasings each. Every
answer here was checked by hand; arithmetic and conversions are computed.
"""

from __future__ import annotations

import random

from benchmarks.replication.prompt_records import Fact, PromptRecord

FACT_MAX_WORDS = 40

# (country, capital, other accepted spellings)
CAPITALS: list[tuple[str, str, tuple[str, ...]]] = [
    ("Australia", "Canberra", ()), ("Canada", "Ottawa", ()), ("Brazil", "Brasília", ("Brasilia",)),
    ("Turkey", "Ankara", ()), ("Switzerland", "Bern", ("Berne",)), ("New Zealand", "Wellington", ()),
    ("Nigeria", "Abuja", ()), ("Pakistan", "Islamabad", ()), ("India", "New Delhi", ("Delhi",)),
    ("China", "Beijing", ("Peking",)), ("Japan", "Tokyo", ()), ("South Korea", "Seoul", ()),
    ("Vietnam", "Hanoi", ()), ("Thailand", "Bangkok", ()), ("Indonesia", "Jakarta", ()),
    ("the Philippines", "Manila", ()), ("Malaysia", "Kuala Lumpur", ()), ("Egypt", "Cairo", ()),
    ("Morocco", "Rabat", ()), ("Kenya", "Nairobi", ()), ("Ethiopia", "Addis Ababa", ()), ("Ghana", "Accra", ()),
    ("Argentina", "Buenos Aires", ()), ("Chile", "Santiago", ()), ("Peru", "Lima", ()),
    ("Colombia", "Bogotá", ("Bogota",)), ("Venezuela", "Caracas", ()), ("Ecuador", "Quito", ()),
    ("Uruguay", "Montevideo", ()), ("Cuba", "Havana", ()), ("Mexico", "Mexico City", ()),
    ("the United States", "Washington, D.C.", ("Washington", "Washington D.C.", "Washington DC")),
    ("France", "Paris", ()), ("Germany", "Berlin", ()), ("Italy", "Rome", ()), ("Spain", "Madrid", ()),
    ("Portugal", "Lisbon", ()), ("the Netherlands", "Amsterdam", ()), ("Belgium", "Brussels", ()),
    ("Austria", "Vienna", ()), ("Poland", "Warsaw", ()), ("the Czech Republic", "Prague", ()),
    ("Hungary", "Budapest", ()), ("Greece", "Athens", ()), ("Sweden", "Stockholm", ()), ("Norway", "Oslo", ()),
    ("Finland", "Helsinki", ()), ("Denmark", "Copenhagen", ()), ("Iceland", "Reykjavik", ()),
    ("Ireland", "Dublin", ()), ("Russia", "Moscow", ()), ("Ukraine", "Kyiv", ("Kiev",)),
    ("Romania", "Bucharest", ()), ("Bulgaria", "Sofia", ()), ("Croatia", "Zagreb", ()), ("Serbia", "Belgrade", ()),
    ("Slovakia", "Bratislava", ()), ("Slovenia", "Ljubljana", ()), ("Estonia", "Tallinn", ()), ("Latvia", "Riga", ()),
    ("Lithuania", "Vilnius", ()), ("Saudi Arabia", "Riyadh", ()), ("Iran", "Tehran", ()), ("Iraq", "Baghdad", ()),
    ("Syria", "Damascus", ()), ("Qatar", "Doha", ()), ("the United Arab Emirates", "Abu Dhabi", ()),
    ("Afghanistan", "Kabul", ()), ("Nepal", "Kathmandu", ()), ("Bangladesh", "Dhaka", ()), ("Tunisia", "Tunis", ()),
    ("Algeria", "Algiers", ()), ("Senegal", "Dakar", ()), ("Uganda", "Kampala", ()), ("Zambia", "Lusaka", ()),
    ("Zimbabwe", "Harare", ()), ("the United Kingdom", "London", ()), ("Scotland", "Edinburgh", ()),
    ("Wales", "Cardiff", ()), ("Albania", "Tirana", ()), ("Malta", "Valletta", ()),
]
CAPITAL_PHRASINGS = [
    "What is the capital of {country}?",
    "Which city is the capital of {country}?",
    "Name the capital city of {country}.",
    "What's the capital of {country}? Answer in one sentence.",
    "Quick question: what is the capital city of {country}?",
]

# (question, year, sentence)
EVENTS: list[tuple[str, int, str]] = [
    ("In what year did World War II end?", 1945, "World War II ended in 1945."),
    ("In what year did World War II begin?", 1939, "World War II began in 1939."),
    ("When did World War I start?", 1914, "World War I started in 1914."),
    ("In which year did World War I end?", 1918, "World War I ended in 1918."),
    ("In what year did humans first land on the Moon?", 1969, "Humans first landed on the Moon in 1969."),
    ("When did the Berlin Wall fall?", 1989, "The Berlin Wall fell in 1989."),
    ("In what year did the Titanic sink?", 1912, "The Titanic sank in 1912."),
    ("In what year was the United States Declaration of Independence signed?", 1776,
     "The Declaration of Independence was signed in 1776."),
    ("When did the French Revolution begin?", 1789, "The French Revolution began in 1789."),
    ("In what year did Columbus first reach the Americas?", 1492, "Columbus first reached the Americas in 1492."),
    ("In what year was the Magna Carta sealed?", 1215, "The Magna Carta was sealed in 1215."),
    ("When was the Battle of Hastings fought?", 1066, "The Battle of Hastings was fought in 1066."),
    ("In what year did Constantinople fall to the Ottomans?", 1453, "Constantinople fell to the Ottomans in 1453."),
    ("In what year did the Soviet Union dissolve?", 1991, "The Soviet Union dissolved in 1991."),
    ("When was the first iPhone released?", 2007, "The first iPhone was released in 2007."),
    ("In what year did the Wright brothers make their first powered flight?", 1903,
     "The Wright brothers made their first powered flight in 1903."),
    ("In what year was Abraham Lincoln assassinated?", 1865, "Abraham Lincoln was assassinated in 1865."),
    ("When did the American Civil War begin?", 1861, "The American Civil War began in 1861."),
    ("In what year was Nelson Mandela released from prison?", 1990, "Nelson Mandela was released from prison in 1990."),
    ("In what year did Nelson Mandela become president of South Africa?", 1994,
     "Nelson Mandela became president of South Africa in 1994."),
    ("When did the Chernobyl nuclear disaster happen?", 1986, "The Chernobyl disaster happened in 1986."),
    ("In what year was Sputnik 1 launched?", 1957, "Sputnik 1 was launched in 1957."),
    ("In what year did Yuri Gagarin become the first person in space?", 1961,
     "Yuri Gagarin became the first person in space in 1961."),
    ("When did the attack on Pearl Harbor take place?", 1941, "The attack on Pearl Harbor took place in 1941."),
    ("In what year did the D-Day landings in Normandy happen?", 1944, "The D-Day landings happened in 1944."),
    ("In what year did Charles Darwin publish On the Origin of Species?", 1859,
     "Darwin published On the Origin of Species in 1859."),
    ("In what year did Isaac Newton publish the Principia?", 1687, "Newton published the Principia in 1687."),
    ("In what year was William Shakespeare born?", 1564, "William Shakespeare was born in 1564."),
    ("When did Martin Luther post his Ninety-five Theses?", 1517, "Martin Luther posted his theses in 1517."),
    ("In what year did Queen Victoria come to the throne?", 1837, "Queen Victoria came to the throne in 1837."),
    ("In what year was Mount Everest first climbed to the summit?", 1953, "Mount Everest was first summited in 1953."),
    ("When did the Panama Canal open?", 1914, "The Panama Canal opened in 1914."),
    ("In what year did the Suez Canal open?", 1869, "The Suez Canal opened in 1869."),
    ("In what year was the Eiffel Tower completed?", 1889, "The Eiffel Tower was completed in 1889."),
    ("When was the Statue of Liberty dedicated?", 1886, "The Statue of Liberty was dedicated in 1886."),
    ("In what year did the Great Fire of London happen?", 1666, "The Great Fire of London happened in 1666."),
    ("In what year did the United Kingdom vote in the Brexit referendum?", 2016,
     "The Brexit referendum was held in 2016."),
    ("In what year did euro banknotes and coins enter circulation?", 2002,
     "Euro banknotes and coins entered circulation in 2002."),
    ("When did the Apollo 13 mission take place?", 1970, "The Apollo 13 mission took place in 1970."),
    ("In what year did Albert Einstein publish his theory of special relativity?", 1905,
     "Einstein published special relativity in 1905."),
    ("In what year did the Russian Revolution take place?", 1917, "The Russian Revolution took place in 1917."),
    ("When did the Wall Street Crash happen?", 1929, "The Wall Street Crash happened in 1929."),
]

# (question, answer, aliases, vocabulary, sentence)
NAMED_FACTS: list[tuple[str, str, tuple[str, ...], str, str]] = [
    ("Which planet is closest to the Sun?", "Mercury", (), "planets", "Mercury is the planet closest to the Sun."),
    ("What is the largest planet in our solar system?", "Jupiter", (), "planets", "Jupiter is the largest planet."),
    ("Which planet is known as the Red Planet?", "Mars", (), "planets", "Mars is known as the Red Planet."),
    ("Which planet is famous for its large rings?", "Saturn", (), "planets", "Saturn is famous for its rings."),
    ("What is the hottest planet in our solar system?", "Venus", (), "planets", "Venus is the hottest planet."),
    ("Which planet is third from the Sun?", "Earth", (), "planets", "Earth is the third planet from the Sun."),
    ("What is the chemical symbol for gold?", "Au", (), "element_symbols", "The chemical symbol for gold is Au."),
    ("What is the chemical symbol for silver?", "Ag", (), "element_symbols", "The chemical symbol for silver is Ag."),
    ("What is the chemical symbol for iron?", "Fe", (), "element_symbols", "The chemical symbol for iron is Fe."),
    ("What is the chemical symbol for copper?", "Cu", (), "element_symbols", "The chemical symbol for copper is Cu."),
    ("What is the chemical symbol for sodium?", "Na", (), "element_symbols", "The chemical symbol for sodium is Na."),
    ("What is the chemical symbol for lead?", "Pb", (), "element_symbols", "The chemical symbol for lead is Pb."),
    ("What is the chemical symbol for mercury?", "Hg", (), "element_symbols", "The chemical symbol for mercury is Hg."),
    ("What is the chemical symbol for tin?", "Sn", (), "element_symbols", "The chemical symbol for tin is Sn."),
    ("What is the chemical symbol for zinc?", "Zn", (), "element_symbols", "The chemical symbol for zinc is Zn."),
    ("What is the chemical symbol for calcium?", "Ca", (), "element_symbols", "The chemical symbol for calcium is Ca."),
    ("What is the chemical symbol for magnesium?", "Mg", (), "element_symbols",
     "The chemical symbol for magnesium is Mg."),
    ("What is the chemical symbol for chlorine?", "Cl", (), "element_symbols", "The chemical symbol for chlorine is Cl."),
    ("What is the chemical symbol for platinum?", "Pt", (), "element_symbols", "The chemical symbol for platinum is Pt."),
    ("Which element has the atomic number 1?", "hydrogen", (), "element_names", "Hydrogen has the atomic number 1."),
    ("Which element has the atomic number 6?", "carbon", (), "element_names", "Carbon has the atomic number 6."),
    ("Which element has the atomic number 8?", "oxygen", (), "element_names", "Oxygen has the atomic number 8."),
    ("Which element has the chemical symbol K?", "potassium", (), "element_names", "K is the symbol for potassium."),
    ("What gas do plants take in from the air for photosynthesis?", "carbon dioxide", ("CO2",), "gases",
     "Plants take in carbon dioxide for photosynthesis."),
    ("What gas do plants give off during photosynthesis?", "oxygen", (), "gases",
     "Plants give off oxygen during photosynthesis."),
    ("What is the most abundant gas in Earth's atmosphere?", "nitrogen", (), "gases",
     "Nitrogen is the most abundant gas in the atmosphere."),
    ("What gas is used to make party balloons float?", "helium", (), "gases", "Helium makes party balloons float."),
    ("What is the largest ocean on Earth?", "Pacific", ("Pacific Ocean",), "oceans",
     "The Pacific Ocean is the largest ocean on Earth."),
    ("Which ocean lies between Europe and North America?", "Atlantic", ("Atlantic Ocean",), "oceans",
     "The Atlantic Ocean lies between Europe and North America."),
    ("Which river flows through London?", "Thames", ("River Thames",), "rivers", "The River Thames flows through London."),
    ("Which river flows through both Vienna and Budapest?", "Danube", (), "rivers",
     "The Danube flows through Vienna and Budapest."),
    ("Which river flows through Cairo?", "Nile", (), "rivers", "The Nile flows through Cairo."),
    ("What is the largest continent by area?", "Asia", (), "continents", "Asia is the largest continent."),
    ("On which continent is the South Pole?", "Antarctica", (), "continents", "The South Pole is in Antarctica."),
    ("On which continent is Kenya?", "Africa", (), "continents", "Kenya is in Africa."),
    ("What is the largest organ of the human body?", "skin", (), "organs", "The skin is the largest organ."),
    ("Which organ pumps blood around the body?", "heart", (), "organs", "The heart pumps blood around the body."),
    ("Which organ filters blood to make urine?", "kidneys", ("kidney",), "organs", "The kidneys filter blood."),
    ("What is the fastest land animal?", "cheetah", (), "animals", "The cheetah is the fastest land animal."),
    ("What is the largest animal that has ever lived?", "blue whale", ("whale",), "animals",
     "The blue whale is the largest animal ever."),
    ("What is the tallest animal?", "giraffe", (), "animals", "The giraffe is the tallest animal."),
    ("What is the largest bird in the world?", "ostrich", (), "animals", "The ostrich is the largest bird."),
    ("What colour do you get when you mix blue and yellow paint?", "green", (), "colours",
     "Mixing blue and yellow paint gives green."),
    ("What colour do you get when you mix red and yellow paint?", "orange", (), "colours",
     "Mixing red and yellow paint gives orange."),
    ("What colour do you get when you mix red and white paint?", "pink", (), "colours",
     "Mixing red and white paint gives pink."),
    ("What language is mainly spoken in Brazil?", "Portuguese", (), "languages", "Brazilians mainly speak Portuguese."),
    ("What is the main language of Mexico?", "Spanish", (), "languages", "The main language of Mexico is Spanish."),
    ("What language is spoken in Austria?", "German", (), "languages", "Austrians speak German."),
    ("What is the official language of Egypt?", "Arabic", (), "languages", "The official language of Egypt is Arabic."),
    ("What language do most people in Iran speak?", "Persian", ("Farsi",), "languages",
     "Most people in Iran speak Persian."),
    ("What language did the ancient Romans speak?", "Latin", (), "languages", "The ancient Romans spoke Latin."),
    ("What is the official language of the Netherlands?", "Dutch", (), "languages",
     "The official language of the Netherlands is Dutch."),
    ("Who wrote Romeo and Juliet?", "Shakespeare", ("William Shakespeare",), "people",
     "William Shakespeare wrote Romeo and Juliet."),
    ("Who wrote Hamlet?", "Shakespeare", ("William Shakespeare",), "people", "William Shakespeare wrote Hamlet."),
    ("Who painted the Mona Lisa?", "Leonardo da Vinci", ("Leonardo", "da Vinci"), "people",
     "Leonardo da Vinci painted the Mona Lisa."),
    ("Who developed the theory of relativity?", "Einstein", ("Albert Einstein",), "people",
     "Albert Einstein developed the theory of relativity."),
    ("Who proposed the theory of evolution by natural selection?", "Darwin", ("Charles Darwin",), "people",
     "Charles Darwin proposed evolution by natural selection."),
    ("Who was the first person to walk on the Moon?", "Armstrong", ("Neil Armstrong",), "people",
     "Neil Armstrong was the first person to walk on the Moon."),
    ("Who was the first human to travel into space?", "Gagarin", ("Yuri Gagarin",), "people",
     "Yuri Gagarin was the first human in space."),
    ("Who discovered penicillin?", "Fleming", ("Alexander Fleming",), "people", "Alexander Fleming discovered penicillin."),
    ("Who wrote Pride and Prejudice?", "Austen", ("Jane Austen",), "people", "Jane Austen wrote Pride and Prejudice."),
    ("Who formulated the three laws of motion?", "Newton", ("Isaac Newton",), "people",
     "Isaac Newton formulated the three laws of motion."),
    ("Who was the first woman to win a Nobel Prize?", "Curie", ("Marie Curie",), "people",
     "Marie Curie was the first woman to win a Nobel Prize."),
    ("Who painted The Starry Night?", "Van Gogh", ("Vincent van Gogh",), "people",
     "Vincent van Gogh painted The Starry Night."),
    ("Who painted the ceiling of the Sistine Chapel?", "Michelangelo", (), "people",
     "Michelangelo painted the Sistine Chapel ceiling."),
    ("Who wrote the novel 1984?", "Orwell", ("George Orwell",), "people", "George Orwell wrote 1984."),
    ("Who wrote War and Peace?", "Tolstoy", ("Leo Tolstoy",), "people", "Leo Tolstoy wrote War and Peace."),
    ("Who wrote The Hobbit?", "Tolkien", ("J. R. R. Tolkien", "J.R.R. Tolkien"), "people",
     "J. R. R. Tolkien wrote The Hobbit."),
    ("Who wrote Oliver Twist?", "Dickens", ("Charles Dickens",), "people", "Charles Dickens wrote Oliver Twist."),
    ("Who wrote Don Quixote?", "Cervantes", ("Miguel de Cervantes",), "people", "Miguel de Cervantes wrote Don Quixote."),
    ("Who composed The Magic Flute?", "Mozart", ("Wolfgang Amadeus Mozart",), "people",
     "Mozart composed The Magic Flute."),
    ("Who painted Guernica?", "Picasso", ("Pablo Picasso",), "people", "Pablo Picasso painted Guernica."),
    ("Which scientist proposed that the Earth orbits the Sun in a heliocentric model?", "Copernicus",
     ("Nicolaus Copernicus",), "people", "Nicolaus Copernicus proposed the heliocentric model."),
    ("Who is known for cracking the Enigma code and founding computer science?", "Turing", ("Alan Turing",),
     "people", "Alan Turing helped crack Enigma and founded computer science."),
    ("Who wrote The Old Man and the Sea?", "Hemingway", ("Ernest Hemingway",), "people",
     "Ernest Hemingway wrote The Old Man and the Sea."),
]

# (question, answer, numbers a correct working may mention, sentence)
COUNTED_FACTS: list[tuple[str, float, tuple[float, ...], str]] = [
    ("How many legs does a spider have?", 8, (), "A spider has 8 legs."),
    ("How many legs does an insect have?", 6, (), "An insect has 6 legs."),
    ("How many sides does a hexagon have?", 6, (), "A hexagon has 6 sides."),
    ("How many sides does an octagon have?", 8, (), "An octagon has 8 sides."),
    ("How many sides does a pentagon have?", 5, (), "A pentagon has 5 sides."),
    ("How many degrees are in a right angle?", 90, (), "A right angle has 90 degrees."),
    ("What do the angles of a triangle add up to, in degrees?", 180, (), "The angles of a triangle add up to 180 degrees."),
    ("How many degrees are in a full circle?", 360, (), "A full circle has 360 degrees."),
    ("How many bones are in the adult human body?", 206, (), "An adult human has 206 bones."),
    ("How many chromosomes do humans normally have?", 46, (23,), "Humans normally have 46 chromosomes."),
    ("How many hearts does an octopus have?", 3, (), "An octopus has 3 hearts."),
    ("How many planets are in our solar system?", 8, (), "There are 8 planets in our solar system."),
    ("How many continents are there?", 7, (), "There are 7 continents."),
    ("At what temperature in Celsius does water boil at sea level?", 100, (212,), "Water boils at 100 °C at sea level."),
    ("At what temperature in Celsius does water freeze?", 0, (32,), "Water freezes at 0 °C."),
    ("At what temperature in Fahrenheit does water freeze?", 32, (0,), "Water freezes at 32 °F."),
    ("How many days are in a leap year?", 366, (365, 29), "A leap year has 366 days."),
    ("How many teeth does an adult human usually have?", 32, (), "An adult usually has 32 teeth."),
    ("What is the smallest prime number?", 2, (), "The smallest prime number is 2."),
    ("How many legs does a crab have?", 10, (8, 2), "A crab has 10 legs."),
    ("How many strings does a standard guitar have?", 6, (), "A standard guitar has 6 strings."),
    ("How many players does a football (soccer) team have on the pitch?", 11, (), "A football team has 11 players on the pitch."),
    ("How many keys does a standard piano have?", 88, (52, 36), "A standard piano has 88 keys."),
    ("How many squares are on a chessboard?", 64, (8,), "A chessboard has 64 squares."),
    ("How many cards are in a standard deck, without jokers?", 52, (4, 13), "A standard deck has 52 cards."),
    ("How many years are in a century?", 100, (), "A century has 100 years."),
    ("How many sides does a dodecagon have?", 12, (), "A dodecagon has 12 sides."),
    ("How many minutes are in a day?", 1440, (24, 60), "A day has 1440 minutes."),
    ("How many weeks are in a year?", 52, (365, 7), "A year has 52 weeks."),
    ("How many colours are in a rainbow?", 7, (), "A rainbow has 7 colours."),
]

# (question template, factor, sample values, sentence template); the factor and 1 are allowed working numbers
CONVERSIONS: list[tuple[str, float, tuple[float, ...], str]] = [
    ("How many centimetres are in {x} metres?", 100, (3, 7, 2.5), "{x} metres is {y} centimetres."),
    ("How many millimetres are in {x} centimetres?", 10, (4, 12), "{x} centimetres is {y} millimetres."),
    ("How many metres are in {x} kilometres?", 1000, (5, 1.5), "{x} kilometres is {y} metres."),
    ("How many grams are in {x} kilograms?", 1000, (2, 3.5), "{x} kilograms is {y} grams."),
    ("How many millilitres are in {x} litres?", 1000, (2, 0.5), "{x} litres is {y} millilitres."),
    ("How many minutes are in {x} hours?", 60, (3, 5, 1.5), "{x} hours is {y} minutes."),
    ("How many seconds are in {x} minutes?", 60, (4, 10), "{x} minutes is {y} seconds."),
    ("How many hours are in {x} days?", 24, (3, 7), "{x} days is {y} hours."),
    ("How many days are in {x} weeks?", 7, (3, 6, 9), "{x} weeks is {y} days."),
    ("How many inches are in {x} feet?", 12, (3, 5), "{x} feet is {y} inches."),
    ("How many ounces are in {x} pounds?", 16, (2, 4), "{x} pounds is {y} ounces."),
    ("How many months are in {x} years?", 12, (3, 8), "{x} years is {y} months."),
    ("How many feet are in {x} yards?", 3, (4, 10), "{x} yards is {y} feet."),
    ("Convert {x} kilometres to metres.", 1000, (4, 12), "{x} kilometres is {y} metres."),
    ("Convert {x} hours to minutes.", 60, (2, 4), "{x} hours is {y} minutes."),
]
CELSIUS = (0, 10, 20, 25, 30, 37, 100, -40)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def capital_records() -> list[PromptRecord]:
    records = []
    for i, (country, capital, aliases) in enumerate(CAPITALS):
        phrasing = CAPITAL_PHRASINGS[i % len(CAPITAL_PHRASINGS)]
        fact = Fact(kind="name", answer=capital, aliases=aliases, vocabulary="cities",
                    sentence=f"The capital of {country} is {capital}.")
        prompt = phrasing.format(country=country)
        prompt = prompt[0].upper() + prompt[1:]
        records.append(PromptRecord(id="", prompt=prompt, category="fact", max_words=FACT_MAX_WORDS, fact=fact,
                                    tags=("capitals",)))
    return records


def event_records() -> list[PromptRecord]:
    return [PromptRecord(id="", prompt=q, category="fact", max_words=FACT_MAX_WORDS,
                         fact=Fact(kind="year", answer=str(year), sentence=sentence), tags=("dates",))
            for q, year, sentence in EVENTS]


def named_records() -> list[PromptRecord]:
    return [PromptRecord(id="", prompt=q, category="fact", max_words=FACT_MAX_WORDS,
                         fact=Fact(kind="name", answer=a, aliases=al, vocabulary=v, sentence=s), tags=("science",))
            for q, a, al, v, s in NAMED_FACTS]


def counted_records() -> list[PromptRecord]:
    return [PromptRecord(id="", prompt=q, category="fact", max_words=FACT_MAX_WORDS,
                         fact=Fact(kind="number", answer=_number(a), allowed=allowed, sentence=s), tags=("science",))
            for q, a, allowed, s in COUNTED_FACTS]


def conversion_records() -> list[PromptRecord]:
    records = []
    for template, factor, values, sentence in CONVERSIONS:
        for x in values:
            y = _number(x * factor)
            fact = Fact(kind="number", answer=y, allowed=(factor, 1.0),
                        sentence=sentence.format(x=_number(x), y=y))
            records.append(PromptRecord(id="", prompt=template.format(x=_number(x)), category="fact",
                                        max_words=FACT_MAX_WORDS, fact=fact, tags=("conversions",)))
    for c in CELSIUS:
        f = _number(c * 9 / 5 + 32)
        fact = Fact(kind="number", answer=f, allowed=(9.0, 5.0, 32.0, 1.8), sentence=f"{c} °C is {f} °F.")
        records.append(PromptRecord(id="", prompt=f"Convert {c} degrees Celsius to Fahrenheit.", category="fact",
                                    max_words=FACT_MAX_WORDS, fact=fact, tags=("conversions",)))
    return records


def arithmetic_records(seed: int = 7, count: int = 72) -> list[PromptRecord]:
    """Computed arithmetic questions in several phrasings, from a fixed seed."""
    rng = random.Random(seed)
    makers = [_addition, _subtraction, _multiplication, _division, _percentage, _square, _word_problem, _shopping]
    records: list[PromptRecord] = []
    seen: set[str] = set()
    while len(records) < count:
        prompt, answer, sentence = makers[len(records) % len(makers)](rng)
        if prompt in seen:
            continue
        seen.add(prompt)
        fact = Fact(kind="number", answer=_number(answer), sentence=sentence)
        records.append(PromptRecord(id="", prompt=prompt, category="fact", max_words=FACT_MAX_WORDS, fact=fact,
                                    tags=("arithmetic",)))
    return records


def _addition(rng: random.Random) -> tuple[str, float, str]:
    a, b = rng.randint(12, 999), rng.randint(12, 999)
    form = rng.choice(["What is {a} plus {b}?", "Add {a} and {b}.", "What is {a} + {b}?"])
    return form.format(a=a, b=b), a + b, f"{a} + {b} = {a + b}."


def _subtraction(rng: random.Random) -> tuple[str, float, str]:
    a = rng.randint(100, 999)
    b = rng.randint(11, a - 1)
    form = rng.choice(["What is {a} minus {b}?", "Subtract {b} from {a}.", "What is {a} - {b}?"])
    return form.format(a=a, b=b), a - b, f"{a} - {b} = {a - b}."


def _multiplication(rng: random.Random) -> tuple[str, float, str]:
    a, b = rng.randint(3, 25), rng.randint(3, 99)
    form = rng.choice(["What is {a} times {b}?", "Multiply {a} by {b}.", "What is {a} × {b}?"])
    return form.format(a=a, b=b), a * b, f"{a} × {b} = {a * b}."


def _division(rng: random.Random) -> tuple[str, float, str]:
    b, k = rng.randint(2, 12), rng.randint(3, 40)
    form = rng.choice(["What is {a} divided by {b}?", "Divide {a} by {b}.", "What is {a} ÷ {b}?"])
    return form.format(a=b * k, b=b), k, f"{b * k} ÷ {b} = {k}."


def _percentage(rng: random.Random) -> tuple[str, float, str]:
    p = rng.choice([5, 10, 15, 20, 25, 50, 75])
    n = rng.choice([20, 40, 60, 80, 120, 200, 240, 400, 600, 800])
    answer = p * n / 100
    return f"What is {p}% of {n}?", answer, f"{p}% of {n} is {_number(answer)}."


def _square(rng: random.Random) -> tuple[str, float, str]:
    n = rng.randint(11, 30)
    if rng.random() < 0.5:
        return f"What is {n} squared?", n * n, f"{n} squared is {n * n}."
    return f"What is the square root of {n * n}?", n, f"The square root of {n * n} is {n}."


def _word_problem(rng: random.Random) -> tuple[str, float, str]:
    a = rng.randint(20, 90)
    b = rng.randint(3, a - 5)
    thing = rng.choice(["apples", "stickers", "marbles", "pencils", "cookies"])
    prompt = f"I had {a} {thing} and gave away {b}. How many do I have left?"
    return prompt, a - b, f"You have {a - b} {thing} left."


def _shopping(rng: random.Random) -> tuple[str, float, str]:
    price, k = rng.randint(3, 19), rng.randint(3, 12)
    item = rng.choice(["notebook", "ticket", "coffee", "sandwich", "book"])
    prompt = f"One {item} costs {price} dollars. How much do {k} of them cost?"
    return prompt, price * k, f"{k} of them cost {price * k} dollars."


def fact_records() -> list[PromptRecord]:
    """Every fact prompt, ids not yet assigned."""
    return (capital_records() + arithmetic_records() + conversion_records() + event_records()
            + named_records() + counted_records())
